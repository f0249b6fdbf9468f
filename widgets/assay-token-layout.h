/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-token-layout.h: a response laid out as wrapped monospace text, token by token, each
 * token's background from its credit on a diverging cool <-> warm scale, steps marked in a
 * gutter (the labelled and the predicted first error each with a bar of its own, and a process
 * reward model's P(step right) as a coloured lane beside the step numbers). Plain data,
 * Pango and Cairo only: the token heatmap widget draws with it, and so does the command line's
 * export. Wrapping is arithmetic on character cells (so 10^5 tokens wrap in milliseconds), and
 * drawing touches only the lines that intersect the area asked for. */
#pragma once

#include <pango/pangocairo.h>

G_BEGIN_DECLS

typedef struct _AssayTokenLayout AssayTokenLayout;

typedef struct
{
  const char   *text;       /* UTF-8 response */
  int           n_tokens;
  const guint  *offsets;    /* 2 per token: begin, end byte in text */
  const double *credit;     /* per token; NaN: not scored (no colour) */
  double        center;     /* subtracted before colouring (the trace's mean credit) */
  int           n_steps;
  const guint  *steps;      /* 2 per step: begin, end byte */
  int           labelled;   /* labelled first erroneous step, -1 none, -2 unknown */
  int           predicted;  /* predicted one, -1 none, -2 unknown */
  const double *step_scores; /* n_steps values or NULL: a process reward model's P(step right),
                              * drawn as a lane of its own in the gutter (red 0 .. green 1; NaN
                              * none) */
} AssayTokenData;

/* Copies the data. font: NULL for "Monospace 10". */
AssayTokenLayout *assay_token_layout_new (const AssayTokenData *data, PangoContext *context,
                                          const char *font);
void              assay_token_layout_free (AssayTokenLayout *self);

int               assay_token_layout_get_n_tokens (AssayTokenLayout *self);
/* The token's text (valid UTF-8, g_free) and its credit minus the center (NaN: not scored). */
char             *assay_token_layout_dup_token_text (AssayTokenLayout *self, int token);
double            assay_token_layout_get_credit (AssayTokenLayout *self, int token);
double            assay_token_layout_get_center (AssayTokenLayout *self);

/* Lays the text out for a width in pixels (gutter included). */
void              assay_token_layout_wrap (AssayTokenLayout *self, double width);
double            assay_token_layout_get_height (AssayTokenLayout *self);
int               assay_token_layout_get_n_lines (AssayTokenLayout *self);
double            assay_token_layout_get_line_height (AssayTokenLayout *self);
/* Credit values with |credit - center| >= range get the full colour; 0 restores the default
 * (the 98th percentile of |credit - center|). */
void              assay_token_layout_set_range (AssayTokenLayout *self, double range);
double            assay_token_layout_get_range (AssayTokenLayout *self);
void              assay_token_layout_set_cursor (AssayTokenLayout *self, int token);

/* Draws the lines intersecting [y0, y1) (layout coordinates; the caller translates). */
void              assay_token_layout_draw (AssayTokenLayout *self, cairo_t *cr, double y0, double y1);
/* Token under a point, or -1. */
int               assay_token_layout_token_at (AssayTokenLayout *self, double x, double y);
/* The first piece of a token: its box. FALSE when the token has no visible character. */
gboolean          assay_token_layout_token_rect (AssayTokenLayout *self, int token,
                                                 double *x, double *y, double *w, double *h);
/* The step's score (P(right) of a process reward model), NaN when none */
double            assay_token_layout_get_step_score (AssayTokenLayout *self, int step);
/* Step of a token (by the byte it starts at), or -1 */
int               assay_token_layout_token_step (AssayTokenLayout *self, int token);
/* First token of a step, or -1 */
int               assay_token_layout_step_token (AssayTokenLayout *self, int step);

/* The colour scale as a bar with its end values (range), and the gutter's marks explained. */
void              assay_token_legend_draw (cairo_t *cr, PangoContext *context, double x, double y,
                                           double width, double height, double range,
                                           const double foreground[3], gboolean dark);
/* Diverging colour of v in [-1, 1] (NaN: none, returns FALSE), on paper (light) or in the dark
 * scheme; assay_token_color is the light one. */
gboolean          assay_token_color (double v, double rgb[3]);
gboolean          assay_token_color_scheme (double v, gboolean dark, double rgb[3]);
/* The colour of a process reward model's P(step right) in the gutter's lane: red (0) through
 * amber (1/2) to green (1) */
void              assay_token_step_score_color (double p, double rgb[3]);
/* The text colour drawn on a token of that background: the scheme's or white, whichever
 * contrasts more; and the WCAG contrast ratio of two colours. */
void              assay_token_text_color (const double background[3], gboolean dark, double text[3]);
double            assay_token_contrast (const double a[3], const double b[3]);
/* Dark: the scheme for a dark style (the widget follows its own foreground colour). */
void              assay_token_layout_set_dark (AssayTokenLayout *self, gboolean dark);
gboolean          assay_token_layout_get_dark (AssayTokenLayout *self);

G_END_DECLS
