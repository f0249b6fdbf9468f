/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-lm-prompt.h: the token ids a model is asked to continue: a plain prompt (after the
 * beginning-of-sequence token, as `lm score` puts it) or a conversation rendered by the model
 * folder's chat template (which writes its own special tokens). */
#pragma once

#include "assay-lm-model.h"

G_BEGIN_DECLS

typedef struct _AssayLmPrompt AssayLmPrompt;

/* chat: load the folder's chat template (an error naming the folder when it has none). */
AssayLmPrompt *assay_lm_prompt_new (AssayLmModel *model, gboolean chat, GError **error);
void           assay_lm_prompt_free (AssayLmPrompt *self);
gboolean       assay_lm_prompt_is_chat (AssayLmPrompt *self);

/* The ids of text: plain, or with chat as one user turn with the generation prompt. */
GArray        *assay_lm_prompt_encode (AssayLmPrompt *self, const char *text, GError **error);
/* The text a conversation renders to: vars holds "messages" and any other variables of the
 * template (tools, ...); tools and documents are null unless given, and the generation prompt is
 * added unless vars says otherwise. Needs chat. */
char          *assay_lm_prompt_render (AssayLmPrompt *self, JsonObject *vars, GError **error);
/* The ids of rendered text (special tokens in it are tokens). */
GArray        *assay_lm_prompt_encode_rendered (AssayLmPrompt *self, const char *text, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayLmPrompt, assay_lm_prompt_free)

G_END_DECLS
