/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-cli train sft|dpo: fine-tune a model on the records the reviewer kept. */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "assay-cli-commands.h"
#include "assay-gen-record.h"
#include "assay-finetune.h"

static int
finetune (AssayCliCommon *common, AssayFinetuneObjective objective, int argc, char **argv)
{
  AssayFinetuneOptions o;
  g_autofree char *model = NULL, *out = NULL, *status_name = NULL, *loss = NULL, *lora_targets = NULL;
  gint64           dataset = 0;
  double           lr = objective == ASSAY_FINETUNE_SFT ? 2e-5 : 1e-6, warmup = 0, weight_decay = 0;
  double           max_grad_norm = 1.0, beta = 0.1;
  int              epochs = objective == ASSAY_FINETUNE_SFT ? 3 : 1, batch_tokens = 4096, accumulate = 1;
  int              max_len = 0, seed = 42, lora = 0, save_every = 0;
  double           lora_alpha = -1, lora_dropout = -1; /* (-1: not given) */
  gboolean         chat = FALSE, bf16 = FALSE, force = FALSE, resume = FALSE;
  const char      *verb = objective == ASSAY_FINETUNE_SFT ? "train sft" : "train dpo";
  const GOptionEntry dpo_entries[] = {
    { "beta", 0, 0, G_OPTION_ARG_DOUBLE, &beta, N_("How far the policy may move from the reference (default 0.1)"), N_("B") },
    { "loss", 0, 0, G_OPTION_ARG_STRING, &loss, N_("sigmoid (DPO, default) or ipo"), N_("TYPE") },
  };
  GOptionEntry entries[] = {
    { "model", 0, 0, G_OPTION_ARG_FILENAME, &model, N_("The model folder to start from (Llama, Qwen2, Mistral, GPT-2)"), N_("DIR") },
    { "dataset", 0, 0, G_OPTION_ARG_INT64, &dataset, N_("The generations dataset to learn from"), N_("ID") },
    { "status", 0, 0, G_OPTION_ARG_STRING, &status_name, N_("Records of this review status (default accepted; any)"), N_("STATUS") },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, N_("The folder the trained model is written to"), N_("DIR") },
    { "lr", 0, 0, G_OPTION_ARG_DOUBLE, &lr, N_("Peak learning rate (default: sft 2e-5, dpo 1e-6)"), N_("LR") },
    { "epochs", 0, 0, G_OPTION_ARG_INT, &epochs, N_("Passes over the records (default: sft 3, dpo 1)"), N_("N") },
    { "batch-tokens", 0, 0, G_OPTION_ARG_INT, &batch_tokens, N_("Tokens per batch (default 4096)"), N_("N") },
    { "accumulate", 0, 0, G_OPTION_ARG_INT, &accumulate, N_("Batches per optimiser step (default 1)"), N_("N") },
    { "max-len", 0, 0, G_OPTION_ARG_INT, &max_len, N_("Tokens per record at most (default: the model's context)"), N_("N") },
    { "warmup", 0, 0, G_OPTION_ARG_DOUBLE, &warmup, N_("Share of the steps spent warming up (default 0)"), N_("R") },
    { "weight-decay", 0, 0, G_OPTION_ARG_DOUBLE, &weight_decay, N_("AdamW's decoupled weight decay (default 0)"), N_("W") },
    { "max-grad-norm", 0, 0, G_OPTION_ARG_DOUBLE, &max_grad_norm, N_("Clip the gradients to this norm (default 1; 0: no clipping)"), N_("N") },
    { "seed", 0, 0, G_OPTION_ARG_INT, &seed, N_("Seed of the shuffles (default 42)"), N_("N") },
    { "chat", 0, 0, G_OPTION_ARG_NONE, &chat, N_("Prompts as a user turn through the model's chat template"), NULL },
    { "bf16", 0, 0, G_OPTION_ARG_NONE, &bf16, N_("Write bfloat16 weights (default: as the model's files)"), NULL },
    { "force", 0, 0, G_OPTION_ARG_NONE, &force, N_("Replace a model already in --out"), NULL },
    { "resume", 0, 0, G_OPTION_ARG_NONE, &resume, N_("Go on from where a stopped run with these settings left --out"), NULL },
    { "save-every", 0, 0, G_OPTION_ARG_INT, &save_every, N_("Also save where the run is every N steps (a killed run resumes from there)"), N_("N") },
    { "lora", 0, 0, G_OPTION_ARG_INT, &lora, N_("Train LoRA adapters of this rank instead of every weight"), N_("R") },
    { "lora-alpha", 0, 0, G_OPTION_ARG_DOUBLE, &lora_alpha, N_("LoRA's alpha (default: twice the rank)"), N_("A") },
    { "lora-dropout", 0, 0, G_OPTION_ARG_DOUBLE, &lora_dropout, N_("Dropout before the adapters (default 0.05)"), N_("P") },
    { "lora-targets", 0, 0, G_OPTION_ARG_STRING, &lora_targets, N_("Adapted modules, e.g. q_proj,v_proj or GPT-2's c_attn (default: every linear)"), N_("LIST") },
    { NULL }, { NULL }, { NULL }
  };
  g_autoptr (AssayJob) job = NULL;
  JsonNode *result;
  int status;

  if (objective != ASSAY_FINETUNE_SFT)
    {
      guint n = 0;
      while (entries[n].long_name != NULL)
        n++;
      entries[n] = dpo_entries[0];
      entries[n + 1] = dpo_entries[1];
    }
  if ((status = assay_cli_parse (common, verb, NULL, entries, &argc, &argv)) != ASSAY_CLI_OK)
    return status;
  if (common->workspace == NULL || model == NULL || dataset <= 0 || out == NULL)
    return assay_cli_usage (_("%s needs a workspace (-w FILE), --model DIR, --dataset ID and --out DIR"), verb);
  if (loss != NULL && !g_str_equal (loss, "sigmoid") && !g_str_equal (loss, "ipo"))
    return assay_cli_usage (_("--loss: “%s” is neither sigmoid nor ipo"), loss);
  if (loss != NULL && g_str_equal (loss, "ipo"))
    objective = ASSAY_FINETUNE_IPO;
  assay_finetune_options_init (&o, objective);
  if (status_name != NULL && g_str_equal (status_name, "any"))
    o.status = -1;
  else if (status_name != NULL)
    {
      AssayGenStatus s;
      if (!assay_gen_parse_status (status_name, &s))
        return assay_cli_usage (_("--status: “%s” is none of pending, accepted, rejected, edited, any"), status_name);
      o.status = (int) s;
    }
  if (epochs < 1 || batch_tokens < 2 || accumulate < 1 || !(lr > 0) || !isfinite (lr) || !(warmup >= 0) || warmup >= 1
      || max_len < 0 || !(weight_decay >= 0) || !isfinite (weight_decay) || !(max_grad_norm >= 0) || !isfinite (max_grad_norm)
      || !(beta > 0) || !isfinite (beta) || lora < 0 || save_every < 0
      || (lora_alpha != -1 && (!(lora_alpha > 0) || !isfinite (lora_alpha)))
      || (lora_dropout != -1 && (!(lora_dropout >= 0) || lora_dropout >= 1)))
    return assay_cli_usage (_("%s: --epochs, --accumulate ≥ 1, --batch-tokens ≥ 2, finite --lr, --beta, --lora-alpha > 0, "
                              "--warmup and --lora-dropout in [0, 1), --max-len, --weight-decay, --max-grad-norm, "
                              "--lora ≥ 0"), verb);
  if (lora == 0 && (lora_alpha != -1 || lora_dropout != -1 || lora_targets != NULL))
    return assay_cli_usage (_("%s: --lora-alpha, --lora-dropout and --lora-targets need --lora R"), verb);
  o.model = g_steal_pointer (&model);
  o.out = g_steal_pointer (&out);
  o.dataset = dataset;
  o.lr = lr;
  o.beta = beta;
  o.epochs = epochs;
  o.batch_tokens = batch_tokens;
  o.accumulate = accumulate;
  o.max_len = max_len;
  o.warmup = warmup;
  o.weight_decay = weight_decay;
  o.max_grad_norm = max_grad_norm;
  o.seed = (guint) seed;
  o.chat = chat;
  o.bf16 = bf16;
  o.force = force;
  o.resume = resume;
  o.save_every = save_every;
  o.lora_rank = lora;
  o.lora_alpha = lora_alpha > 0 ? lora_alpha : 0; /* (0: twice the rank) */
  if (lora_dropout != -1)
    o.lora_dropout = lora_dropout;
  o.lora_targets = g_steal_pointer (&lora_targets);
  job = assay_finetune_job_new (&o);
  assay_finetune_options_clear (&o);
  if ((status = assay_cli_finish_job (common, job, &result)) == ASSAY_CLI_OK)
    status = assay_cli_output (common, result);
  return status;
}

static int
verb_sft (AssayCliCommon *common, int argc, char **argv)
{
  return finetune (common, ASSAY_FINETUNE_SFT, argc, argv);
}

static int
verb_dpo (AssayCliCommon *common, int argc, char **argv)
{
  return finetune (common, ASSAY_FINETUNE_DPO, argc, argv);
}

static const AssayCliVerb verbs[] = {
  { "sft", verb_sft, N_("Fine-tune a model on a dataset's reviewed records (completion-only loss)") },
  { "dpo", verb_dpo, N_("Preference-tune a model on a dataset's reviewed pairs (DPO, or IPO with --loss ipo)") },
  { NULL }
};

int
assay_cli_train (int argc, char **argv)
{
  return assay_cli_dispatch ("train", verbs, argc, argv);
}
