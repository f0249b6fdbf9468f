/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Fine-tuning as a user meets it when things go wrong: nothing to learn from, no pairs for DPO, a
 * run stopped half-way and resumed (it ends with the very weights of a run never stopped), and a
 * disk that fills while a checkpoint is written (the one already there survives). The numbers
 * themselves are checked against PyTorch in tests/peers/train_peers.py. */
#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "assay-error.h"
#include "assay-finetune.h"
#include "assay-gen-record.h"
#include "assay-store.h"
#include "assay-test-lm.h"
#include "assay-test-util.h"
#include "assay-train-model.h"

typedef struct
{
  char        *ws;
  AssayTestLm *lm;
} Fixture;

/* A workspace of 12 prompt/completion records (dataset 1), 8 accepted, and 6 pairs (dataset 2),
 * all pending; a tiny Llama. */
static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  GString         *singles = g_string_new (NULL), *pairs = g_string_new (NULL);
  g_autofree char *a = NULL, *b = NULL, *dir = assay_test_path ("train-model");
  AssayTestLmSpec  spec = assay_test_lm_spec (ASSAY_LM_LLAMA, ASSAY_DTYPE_F32);

  f->ws = assay_test_path ("train.assay");
  g_remove (f->ws);
  for (int i = 0; i < 12; i++)
    g_string_append_printf (singles, "{\"id\": \"s%d\", \"prompt\": \"%d plus %d is\", \"text\": \" %d.\"}\n", i, i, i + 2,
                            2 * i + 2);
  for (int i = 0; i < 6; i++)
    g_string_append_printf (pairs, "{\"id\": \"p%d\", \"prompt\": \"%d times 2 is\", \"chosen\": \" %d.\", "
                                   "\"rejected\": \" %d.\"}\n", i, i, 2 * i, 2 * i + 1);
  a = assay_test_write_file ("train-singles.jsonl", singles->str);
  b = assay_test_write_file ("train-pairs.jsonl", pairs->str);
  g_assert_nonnull (assay_test_cli_json ((const char *[]) { "gen", "import", "-w", f->ws, a, "--map",
                                                            "ext_id=id,prompt=prompt,text=text", "--json", NULL }, 0, NULL));
  g_assert_nonnull (assay_test_cli_json ((const char *[]) { "gen", "import", "-w", f->ws, b, "--map",
                                                            "ext_id=id,prompt=prompt,text=chosen,rejected=rejected",
                                                            "--json", NULL }, 0, NULL));
  for (int id = 1; id <= 8; id++)
    {
      g_autofree char *s = g_strdup_printf ("%d", id);
      g_assert_nonnull (assay_test_cli_json ((const char *[]) { "gen", "review", "-w", f->ws, "--id", s, "--accept",
                                                                "--json", NULL }, 0, NULL));
    }
  f->lm = assay_test_lm_write (dir, &spec, 3);
  g_string_free (singles, TRUE);
  g_string_free (pairs, TRUE);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_free (f->ws);
  assay_test_lm_free (f->lm);
}

static void
options (Fixture *f, AssayFinetuneOptions *o, AssayFinetuneObjective objective, gint64 dataset, const char *out)
{
  assay_finetune_options_init (o, objective);
  o->model = g_strdup (assay_test_lm_dir (f->lm));
  o->out = assay_test_path (out);
  o->dataset = dataset;
  o->lr = 1e-3;
  o->epochs = 2;
  o->batch_tokens = 24; /* a few records a step: 8 steps or so */
  o->force = TRUE;
}

static gboolean
run (Fixture *f, const AssayFinetuneOptions *o, GCancellable *cancel, void (*on_step) (JsonObject *, gpointer),
     JsonObject **result, GError **error)
{
  g_autoptr (AssayStore) store = assay_store_open (f->ws, NULL);
  char          err[128];
  AssayBackend *b = assay_backend_cpu_new (2, err, sizeof err);
  gboolean      ok;

  ok = assay_finetune_run (store, o, b, NULL, on_step, cancel, cancel, result, error);
  assay_backend_free (b);
  return ok;
}

static void
test_nothing (Fixture *f, gconstpointer data)
{
  AssayFinetuneOptions o;
  JsonObject          *result = NULL;
  g_autoptr (GError) error = NULL;

  /* the pairs are all pending: SFT and DPO on their dataset find nothing */
  options (f, &o, ASSAY_FINETUNE_SFT, 2, "train-nothing");
  g_assert_false (run (f, &o, NULL, NULL, &result, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_NOTHING_TO_DO);
  g_assert_nonnull (strstr (error->message, "no record with that status"));
  g_clear_error (&error);
  o.objective = ASSAY_FINETUNE_DPO;
  g_assert_false (run (f, &o, NULL, NULL, &result, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_NOTHING_TO_DO);
  g_clear_error (&error);
  /* DPO on the accepted singles: no pair */
  o.dataset = 1;
  g_assert_false (run (f, &o, NULL, NULL, &result, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_NOTHING_TO_DO);
  g_assert_nonnull (strstr (error->message, "no pair"));
  g_clear_error (&error);
  /* the output folder is the model's own */
  o.objective = ASSAY_FINETUNE_SFT;
  g_free (o.out);
  o.out = g_strdup (o.model);
  g_assert_false (run (f, &o, NULL, NULL, &result, &error));
  g_assert_nonnull (strstr (error->message, "the output folder is the model's own"));
  assay_finetune_options_clear (&o);
}

/* cancels after the third step of the run */
static void
stop_after_three (JsonObject *step, gpointer data)
{
  if (json_object_get_int_member (step, "step") == 3)
    g_cancellable_cancel (data);
}

static float *
weights_of (const char *dir, gsize *n)
{
  g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
  g_autofree char *contents = NULL;
  gsize            len;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  *n = len;
  return (float *) g_steal_pointer (&contents);
}

static void
test_stop_and_resume (Fixture *f, gconstpointer data)
{
  AssayFinetuneOptions whole, stopped;
  JsonObject          *r1 = NULL, *r2 = NULL, *r3 = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  g_autofree float *w1 = NULL, *w2 = NULL;
  gsize             n1, n2;
  g_autoptr (AssayStore) store = NULL;

  options (f, &whole, ASSAY_FINETUNE_SFT, 1, "train-whole");
  g_assert_true (run (f, &whole, NULL, NULL, &r1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (r1, "steps")), >, 4);

  /* stopped after step 3: a checkpoint, the run kept as cancelled, no model */
  options (f, &stopped, ASSAY_FINETUNE_SFT, 1, "train-stopped");
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", stopped.out);
    g_assert_true (g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL));
  }
  /* a link planted where the checkpoint is first written is not followed */
  {
    g_autofree char *planted = g_build_filename (stopped.out, "checkpoint.new", NULL);
    g_autofree char *elsewhere = assay_test_path ("train-elsewhere");
    g_mkdir_with_parents (stopped.out, 0755);
    g_mkdir_with_parents (elsewhere, 0755);
    g_assert_cmpint (symlink (elsewhere, planted), ==, 0);
  }
  g_assert_false (run (f, &stopped, cancel, stop_after_three, &r2, &error));
  {
    g_autofree char *elsewhere = assay_test_path ("train-elsewhere");
    g_autofree char *inside = g_build_filename (elsewhere, "weights.safetensors", NULL);
    g_autofree char *dir = g_build_filename (stopped.out, "checkpoint", NULL);
    g_assert_false (g_file_test (inside, G_FILE_TEST_EXISTS));
    g_assert_false (g_file_test (dir, G_FILE_TEST_IS_SYMLINK));
  }
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  {
    g_autofree char *state = g_build_filename (stopped.out, "checkpoint", "trainer_state.json", NULL);
    g_autofree char *model = g_build_filename (stopped.out, "model.safetensors", NULL);
    g_assert_true (g_file_test (state, G_FILE_TEST_IS_REGULAR));
    g_assert_false (g_file_test (model, G_FILE_TEST_EXISTS));
  }
  store = assay_store_open (f->ws, NULL);
  g_assert_cmpint (assay_store_query_int (store, "SELECT count(*) FROM runs WHERE area = 'train' AND status = 'cancelled' "
                                                 "AND json_extract (metrics, '$.stopped_at_step') = 3", 0), ==, 1);
  /* started over without resuming (and without force): refused, the checkpoint kept */
  stopped.force = FALSE;
  g_assert_false (run (f, &stopped, NULL, NULL, &r3, &error));
  g_assert_nonnull (strstr (error->message, "holds a stopped run"));
  g_clear_error (&error);
  /* resumed with other settings: refused, naming the difference (the learning rate too) */
  stopped.resume = TRUE;
  stopped.seed = 7;
  g_assert_false (run (f, &stopped, NULL, NULL, &r3, &error));
  g_assert_nonnull (strstr (error->message, "seed"));
  g_clear_error (&error);
  stopped.seed = whole.seed;
  stopped.lr = 2e-3;
  g_assert_false (run (f, &stopped, NULL, NULL, &r3, &error));
  g_assert_nonnull (strstr (error->message, "had lr"));
  g_clear_error (&error);
  stopped.lr = whole.lr;
  /* resumed: the same steps and the very same weights as the run never stopped */
  g_assert_true (run (f, &stopped, NULL, NULL, &r3, &error));
  g_assert_no_error (error);
  {
    JsonArray *a = json_object_get_array_member (r1, "steps"), *b = json_object_get_array_member (r3, "steps");
    g_assert_cmpuint (json_array_get_length (a), ==, json_array_get_length (b));
    for (guint i = 0; i < json_array_get_length (a); i++)
      {
        g_assert_cmpfloat (json_object_get_double_member (json_array_get_object_element (a, i), "loss"), ==,
                           json_object_get_double_member (json_array_get_object_element (b, i), "loss"));
        /* (the tokens seen go on from where the stop left them) */
        g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (a, i), "num_tokens"), ==,
                         json_object_get_int_member (json_array_get_object_element (b, i), "num_tokens"));
      }
  }
  w1 = weights_of (whole.out, &n1);
  w2 = weights_of (stopped.out, &n2);
  g_assert_cmpuint (n1, ==, n2);
  g_assert_true (memcmp (w1, w2, n1) == 0);
  {
    g_autofree char *state = g_build_filename (stopped.out, "checkpoint", "trainer_state.json", NULL);
    g_assert_false (g_file_test (state, G_FILE_TEST_EXISTS)); /* served, removed */
  }
  json_object_unref (r1);
  json_object_unref (r3);
  assay_finetune_options_clear (&whole);
  assay_finetune_options_clear (&stopped);
}

/* A process killed half-way (SIGKILL, no stop): with --save-every it resumes from the last
 * checkpoint and ends with the very weights of a run never killed. */
static void
test_killed (Fixture *f, gconstpointer data)
{
  AssayFinetuneOptions whole, killed;
  JsonObject          *r1 = NULL, *r2 = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *cli = assay_test_build_path ("app/cli/assay-cli");
  g_autofree char *state = NULL, *w1 = NULL, *w2 = NULL, *m1 = NULL, *m2 = NULL;
  gsize            n1, n2;
  GPid             pid;
  gboolean         was_killed = FALSE;

  options (f, &whole, ASSAY_FINETUNE_SFT, 1, "train-never-killed");
  whole.epochs = 30;
  g_assert_true (run (f, &whole, NULL, NULL, &r1, &error));
  g_assert_no_error (error);
  options (f, &killed, ASSAY_FINETUNE_SFT, 1, "train-killed");
  killed.epochs = 30;
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", killed.out);
    g_assert_true (g_spawn_command_line_sync (cmd, NULL, NULL, NULL, NULL));
  }
  state = g_build_filename (killed.out, "checkpoint", "trainer_state.json", NULL);
  {
    const char *argv[] = { cli, "train", "sft", "-w", f->ws, "--model", killed.model, "--dataset", "1", "--out",
                           killed.out, "--lr", "1e-3", "--epochs", "30", "--batch-tokens", "24", "--save-every", "4",
                           "--threads", "2", NULL };
    g_assert_true (g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL
                                  | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &pid, NULL));
  }
  /* killed as soon as a checkpoint is there (unless it has finished by then) */
  for (int i = 0; i < 3000 && !g_file_test (state, G_FILE_TEST_EXISTS); i++)
    {
      int status;
      if (waitpid (pid, &status, WNOHANG) == pid)
        {
          pid = 0;
          break;
        }
      g_usleep (2000);
    }
  if (pid != 0)
    {
      was_killed = kill (pid, SIGKILL) == 0;
      waitpid (pid, NULL, 0);
    }
  if (was_killed)
    {
      /* (killed perhaps while a later checkpoint replaced that one: the resume takes either) */
      killed.resume = TRUE;
      g_assert_true (run (f, &killed, NULL, NULL, &r2, &error));
      g_assert_no_error (error);
      json_object_unref (r2);
    }
  else
    g_test_message ("the run ended before it could be killed: nothing to resume");
  m1 = g_build_filename (whole.out, "model.safetensors", NULL);
  m2 = g_build_filename (killed.out, "model.safetensors", NULL);
  g_assert_true (g_file_get_contents (m1, &w1, &n1, NULL));
  g_assert_true (g_file_get_contents (m2, &w2, &n2, NULL));
  g_assert_cmpuint (n1, ==, n2);
  g_assert_true (memcmp (w1, w2, n1) == 0);
  json_object_unref (r1);
  assay_finetune_options_clear (&whole);
  assay_finetune_options_clear (&killed);
}

/* A disk that fills while the model is written over an earlier one (a file size limit stands in
 * for the full disk): the error says so and the earlier model.safetensors is whole. */
static void
test_disk_full (Fixture *f, gconstpointer data)
{
  g_autofree char *out = assay_test_path ("train-full-disk");
  g_autofree char *path = g_build_filename (out, "model.safetensors", NULL);
  g_autofree char *before = NULL, *after = NULL;
  gsize            len_before, len_after;
  g_autoptr (AssayLmModel) model = assay_lm_model_open_causal (assay_test_lm_dir (f->lm), NULL);
  char             err[128];
  AssayBackend    *b = assay_backend_cpu_new (1, err, sizeof err);
  g_autoptr (AssayTrainModel) train = assay_train_model_new (model, b, NULL);
  g_autoptr (GError) error = NULL;
  struct rlimit    old, tiny;
  gsize            n;

  g_assert_nonnull (train);
  g_assert_true (assay_train_model_save (train, out, FALSE, &error));
  g_assert_true (g_file_get_contents (path, &before, &len_before, NULL));
  assay_train_model_param (train, 0, &n)[0] += 1.0f; /* a change, to tell the files apart */
  g_assert_cmpint (getrlimit (RLIMIT_FSIZE, &old), ==, 0);
  tiny = old;
  tiny.rlim_cur = 4096;
  signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &tiny), ==, 0);
  g_assert_false (assay_train_model_save (train, out, FALSE, &error));
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &old), ==, 0);
  g_assert_nonnull (error);
  g_assert_true (strstr (error->message, "model.safetensors") != NULL || strstr (error->message, out) != NULL);
  g_assert_true (g_file_get_contents (path, &after, &len_after, NULL));
  g_assert_cmpuint (len_after, ==, len_before);
  g_assert_true (memcmp (before, after, len_before) == 0);
  g_clear_pointer (&train, assay_train_model_free);
  assay_backend_free (b);
}

/* Options a user can get wrong: a learning rate that is not finite, a LoRA rank wider than the
 * layers, no target, and a learning rate so large the loss stops being a number (refused at that
 * step, nothing written) */
static void
test_bad_options (Fixture *f, gconstpointer data)
{
  AssayFinetuneOptions o;
  JsonObject          *result = NULL;
  g_autoptr (GError) error = NULL;

  options (f, &o, ASSAY_FINETUNE_SFT, 1, "train-bad");
  o.lr = INFINITY;
  g_assert_false (run (f, &o, NULL, NULL, &result, &error));
  g_assert_error (error, ASSAY_ERROR, ASSAY_ERROR_INVALID_INPUT);
  g_clear_error (&error);
  o.lr = 1e-3;
  o.lora_rank = 1000000;
  g_assert_false (run (f, &o, NULL, NULL, &result, &error));
  g_assert_nonnull (strstr (error->message, "is larger than"));
  g_clear_error (&error);
  o.lora_rank = 4;
  o.lora_targets = g_strdup ("");
  g_assert_false (run (f, &o, NULL, NULL, &result, &error));
  g_assert_nonnull (strstr (error->message, "no target"));
  g_clear_error (&error);
  g_clear_pointer (&o.lora_targets, g_free);
  o.lora_rank = 0;
  o.lr = 1e30;
  o.max_grad_norm = 0;
  o.epochs = 4;
  g_assert_false (run (f, &o, NULL, NULL, &result, &error));
  g_assert_nonnull (strstr (error->message, "no longer finite"));
  {
    g_autofree char *model = g_build_filename (o.out, "model.safetensors", NULL);
    g_assert_false (g_file_test (model, G_FILE_TEST_EXISTS));
  }
  assay_finetune_options_clear (&o);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/train/nothing-to-learn", Fixture, NULL, fixture_set_up, test_nothing, fixture_tear_down);
  g_test_add ("/train/stop-and-resume", Fixture, NULL, fixture_set_up, test_stop_and_resume, fixture_tear_down);
  g_test_add ("/train/bad-options", Fixture, NULL, fixture_set_up, test_bad_options, fixture_tear_down);
  g_test_add ("/train/killed", Fixture, NULL, fixture_set_up, test_killed, fixture_tear_down);
  g_test_add ("/train/disk-full", Fixture, NULL, fixture_set_up, test_disk_full, fixture_tear_down);
  return g_test_run ();
}
