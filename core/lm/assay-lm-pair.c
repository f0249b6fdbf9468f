/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-lm-pair.c: see assay-lm-pair.h. */
#include "assay-lm-pair.h"

#include <glib/gi18n.h>

#include "assay-error.h"
#include "assay-lm-scorer.h"

struct _AssayLmPair
{
  char         *policy_dir, *reference_dir;
  AssayLmModel *policy, *reference;
  gboolean      certainty;
};

void
assay_lm_pair_set_certainty (AssayLmPair *self, gboolean certainty)
{
  self->certainty = certainty;
}

void
assay_lm_text_clear (AssayLmText *t)
{
  g_clear_pointer (&t->ids, g_array_unref);
  g_clear_pointer (&t->offsets, g_array_unref);
  g_clear_pointer (&t->lp, g_free);
  g_clear_pointer (&t->ref_lp, g_free);
  g_clear_pointer (&t->certainty, g_free);
}

int
assay_lm_text_scored (const AssayLmText *t)
{
  return MAX (0, (int) t->ids->len - t->start);
}

void
assay_lm_pair_free (AssayLmPair *self)
{
  if (self == NULL)
    return;
  g_free (self->policy_dir);
  g_free (self->reference_dir);
  assay_lm_model_free (self->policy);
  assay_lm_model_free (self->reference);
  g_free (self);
}

AssayLmPair *
assay_lm_pair_open (const char *policy, const char *reference, GError **error)
{
  g_autoptr (AssayLmPair) self = g_new0 (AssayLmPair, 1);

  self->policy_dir = g_strdup (policy);
  self->reference_dir = g_strdup (reference);
  if ((self->policy = assay_lm_model_open_causal (policy, error)) == NULL
      || (reference != NULL && (self->reference = assay_lm_model_open_causal (reference, error)) == NULL))
    return NULL;
  if (assay_lm_model_tokenizer (self->policy) == NULL)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("%s: no tokenizer.json (or encoder.json + vocab.bpe) in the model folder"), policy);
      return NULL;
    }
  if (self->reference != NULL
      && assay_lm_model_config (self->reference)->vocab != assay_lm_model_config (self->policy)->vocab)
    {
      g_set_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT,
                   _("%s and %s do not share a vocabulary (%d and %d tokens)"), policy, reference,
                   assay_lm_model_config (self->policy)->vocab, assay_lm_model_config (self->reference)->vocab);
      return NULL;
    }
  return g_steal_pointer (&self);
}

AssayLmTokenizer *
assay_lm_pair_tokenizer (AssayLmPair *self)
{
  return assay_lm_model_tokenizer (self->policy);
}

gboolean
assay_lm_pair_has_reference (AssayLmPair *self)
{
  return self->reference != NULL;
}

gboolean
assay_lm_pair_encode (AssayLmPair *self, const char *context, const char *response, gboolean offsets,
                      AssayLmText *t, GError **error)
{
  AssayLmTokenizer *tok = assay_lm_pair_tokenizer (self);
  int               bos = assay_lm_tokenizer_bos_id (tok);
  g_autoptr (GArray) c = NULL, r = NULL, o = NULL;

  if ((c = assay_lm_tokenizer_encode (tok, context, NULL, error)) == NULL
      || (r = assay_lm_tokenizer_encode (tok, response, offsets ? &o : NULL, error)) == NULL)
    return FALSE;
  t->ids = g_array_new (FALSE, FALSE, sizeof (int));
  if (bos >= 0)
    g_array_append_val (t->ids, bos);
  g_array_append_vals (t->ids, c->data, c->len);
  t->first = (int) t->ids->len;
  g_array_append_vals (t->ids, r->data, r->len);
  /* the first token of all has no context: with no BOS and no prompt it is not scored */
  t->start = MIN (MAX (t->first, 1), (int) t->ids->len);
  t->offsets = g_steal_pointer (&o);
  return TRUE;
}

typedef struct
{
  void   (*progress) (double, const char *, gpointer);
  gpointer data;
  guint    n;
  double   base, share;
  const char *format;
} Progress;

static void
batch_done (int finished, gpointer data)
{
  Progress        *p = data;
  g_autofree char *msg = NULL;

  if (p->progress == NULL)
    return;
  msg = g_strdup_printf (p->format, (guint) finished, p->n);
  p->progress (p->base + p->share * finished / MAX (p->n, 1), msg, p->data);
}

static gboolean
score_all (AssayLmScorer *scorer, AssayLmText *const *texts, guint n, int budget, gboolean ref,
           gboolean certainty, Progress *p, GCancellable *cancellable, GError **error)
{
  g_autofree AssayLmSequence *seqs = g_new (AssayLmSequence, MAX (n, 1));
  g_autofree float          **out = g_new (float *, MAX (n, 1));

  for (guint k = 0; k < n; k++)
    {
      AssayLmText *t = texts[k];
      float      **slot = ref ? &t->ref_lp : &t->lp;
      seqs[k] = (AssayLmSequence) { (const int *) t->ids->data, (int) t->ids->len, t->start, NULL };
      g_free (*slot);
      *slot = g_new0 (float, t->ids->len + 1);
      out[k] = *slot;
      if (certainty)
        {
          g_free (t->certainty);
          seqs[k].certainty = t->certainty = g_new0 (float, t->ids->len + 1);
        }
    }
  return assay_lm_scorer_run_batches (scorer, seqs, (int) n, budget, out, batch_done, p, cancellable,
                                      error);
}

gboolean
assay_lm_pair_load (AssayLmPair *self, AssayBackend *backend, AssayLmText *const *texts, guint n,
                    int *budget, GError **error)
{
  AssayBackendKind kind = assay_backend_kind (backend);
  int              max_len = 1;
  guint64          extra;

  for (guint k = 0; k < n; k++)
    max_len = MAX (max_len, (int) texts[k]->ids->len);
  *budget = MAX (*budget > 0 ? *budget : 4096, max_len);
  extra = assay_lm_scorer_activation_bytes (assay_lm_model_config (self->policy), kind, *budget, max_len);
  if (self->reference != NULL)
    extra += assay_lm_model_weight_bytes (self->reference, kind)
             + assay_lm_scorer_activation_bytes (assay_lm_model_config (self->reference), kind, *budget, max_len);
  return assay_lm_model_upload (self->policy, backend, extra, error)
         && (self->reference == NULL || assay_lm_model_upload (self->reference, backend, 0, error));
}

void
assay_lm_pair_shard (AssayLmText *const *texts, guint n, int budget, const AssayShard *shard, guint *begin,
                     guint *end, guint *n_batches, guint *b0, guint *b1)
{
  g_autofree int   *lengths = g_new (int, MAX (n, 1));
  g_autofree guint *plan = NULL;

  for (guint k = 0; k < n; k++)
    lengths[k] = (int) texts[k]->ids->len;
  plan = assay_lm_batch_plan (lengths, n, budget, n_batches);
  assay_shard_range (shard, *n_batches, b0, b1);
  *begin = plan[*b0];
  *end = plan[*b1];
}

gboolean
assay_lm_pair_score (AssayLmPair *self, AssayLmText *const *texts, guint n, int budget,
                     void (*progress) (double, const char *, gpointer), gpointer progress_data,
                     double base, double share, GCancellable *cancellable, GError **error)
{
  g_autoptr (AssayLmScorer) policy = NULL, reference = NULL;
  gboolean two = self->reference != NULL;
  Progress p = { progress, progress_data, n, base, two ? share / 2 : share,
                 two ? _("Policy: %u of %u texts") : _("%u of %u texts") };

  policy = assay_lm_scorer_new (self->policy);
  if (!score_all (policy, texts, n, budget, FALSE, self->certainty, &p, cancellable, error))
    return FALSE;
  if (!two)
    return TRUE;
  reference = assay_lm_scorer_new (self->reference);
  p.base = base + share / 2;
  p.format = _("Reference: %u of %u texts");
  return score_all (reference, texts, n, budget, TRUE, FALSE, &p, cancellable, error);
}
