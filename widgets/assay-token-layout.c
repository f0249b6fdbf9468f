/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-token-layout.c: see assay-token-layout.h. The text is cut into characters once (each
 * with the token its first byte falls in and its width in cells); wrapping walks tokens and
 * makes pieces (a token's characters on one line); a line is a run of pieces. */
#include "assay-token-layout.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GUTTER_CELLS 5 /* step numbers */
#define SCORE_LANE   8.0 /* a process reward model's lane, between the numbers and the text */
#define GUTTER_PAD   10.0
#define MIN_COLUMNS  8

typedef struct
{
  int token;
  int line;
  int col;
  int cells;
  int c0, c1; /* characters [c0, c1) */
} Piece;

struct _AssayTokenLayout
{
  char         *text;
  int           n_tokens;
  guint        *offsets;
  double       *credit;
  double        center, range, default_range;
  int           n_steps;
  guint        *steps;
  double       *step_scores; /* n_steps, or NULL */
  int           labelled, predicted;
  int           cursor;

  /* characters */
  int           n_chars;
  guint        *char_byte;  /* n_chars + 1 */
  int          *char_token;
  guint8       *char_cells;
  gunichar     *char_value;
  int          *token_c0;   /* first character of each token (n_tokens + 1) */
  int          *token_step;
  int          *step_token;

  PangoContext *context;
  PangoLayout  *pango;
  double        cell_w, line_h, baseline;

  /* after wrap */
  double        width, gutter;
  gboolean      dark;
  int           columns;
  GArray       *pieces;     /* Piece */
  GArray       *lines;      /* int: first piece of each line, plus one past the end */
  int          *token_piece; /* first piece of each token, -1 none */
};

/* The two colour schemes: light (paper) and dark. Each end of the diverging scale carries
 * white text at >= 4.5:1; the middle carries the scheme's text. The light text is black: of
 * black and white one always reads at >= 4.58:1, whatever the colour between the ends. */
typedef struct
{
  double paper[3], gutter[3], mid[3], cool[3], warm[3], text[3], rule[4], number[3], cursor[3];
} Scheme;

static const Scheme light_scheme = {
  /* blue (cool) <-> near-white <-> red (warm), as ColorBrewer's RdBu */
  { 0.995, 0.995, 0.99 }, { 0.93, 0.93, 0.92 }, { 0.969, 0.969, 0.969 },
  { 0.129, 0.400, 0.675 }, { 0.698, 0.094, 0.169 }, { 0.0, 0.0, 0.0 },
  { 0.2, 0.2, 0.2, 0.55 }, { 0.40, 0.40, 0.40 }, { 0.05, 0.05, 0.05 },
};

static const Scheme dark_scheme = {
  /* the same hues around the dark paper of libadwaita's dark style */
  { 0.14, 0.14, 0.14 }, { 0.19, 0.19, 0.19 }, { 0.16, 0.16, 0.17 },
  { 0.110, 0.443, 0.847 }, { 0.753, 0.110, 0.157 }, { 0.93, 0.93, 0.93 },
  { 0.85, 0.85, 0.85, 0.55 }, { 0.65, 0.65, 0.65 }, { 0.98, 0.98, 0.98 },
};

gboolean
assay_token_color_scheme (double v, gboolean dark, double rgb[3])
{
  const Scheme *s = dark ? &dark_scheme : &light_scheme;
  const double *end;
  double t;

  if (isnan (v))
    return FALSE;
  v = CLAMP (v, -1.0, 1.0);
  end = v < 0 ? s->cool : s->warm;
  t = fabs (v);
  for (int i = 0; i < 3; i++)
    rgb[i] = s->mid[i] + (end[i] - s->mid[i]) * t;
  return TRUE;
}

gboolean
assay_token_color (double v, double rgb[3])
{
  return assay_token_color_scheme (v, FALSE, rgb);
}

static double
relative_luminance (const double rgb[3])
{
  double l = 0, w[3] = { 0.2126, 0.7152, 0.0722 };

  for (int i = 0; i < 3; i++)
    l += w[i] * (rgb[i] <= 0.03928 ? rgb[i] / 12.92 : pow ((rgb[i] + 0.055) / 1.055, 2.4));
  return l;
}

double
assay_token_contrast (const double a[3], const double b[3])
{
  double la = relative_luminance (a), lb = relative_luminance (b);
  return (MAX (la, lb) + 0.05) / (MIN (la, lb) + 0.05);
}

void
assay_token_text_color (const double background[3], gboolean dark, double text[3])
{
  static const double white[3] = { 1.0, 1.0, 1.0 };
  const double       *own = (dark ? &dark_scheme : &light_scheme)->text;
  const double       *best = assay_token_contrast (own, background) >= assay_token_contrast (white, background)
                               ? own : white;

  memcpy (text, best, 3 * sizeof (double));
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static void
measure (AssayTokenLayout *self, const char *font)
{
  PangoFontDescription *desc = pango_font_description_from_string (font != NULL ? font : "Monospace 10");
  PangoRectangle        logical;

  self->pango = pango_layout_new (self->context);
  pango_layout_set_font_description (self->pango, desc);
  pango_font_description_free (desc);
  pango_layout_set_text (self->pango, "MMMMMMMMMMMMMMMMMMMM", -1);
  pango_layout_get_extents (self->pango, NULL, &logical);
  self->cell_w = (double) logical.width / PANGO_SCALE / 20.0;
  self->line_h = ceil ((double) logical.height / PANGO_SCALE) + 2.0;
  self->baseline = 1.0;
}

AssayTokenLayout *
assay_token_layout_new (const AssayTokenData *d, PangoContext *context, const char *font)
{
  AssayTokenLayout *self = g_new0 (AssayTokenLayout, 1);
  gsize             len = d->text != NULL ? strlen (d->text) : 0;
  const char       *p;
  int               c, t;

  self->text = g_strndup (d->text != NULL ? d->text : "", len);
  if (!g_utf8_validate (self->text, (gssize) len, NULL))
    {
      char *valid = g_utf8_make_valid (self->text, (gssize) len);
      g_free (self->text);
      self->text = valid;
      len = strlen (valid);
    }
  self->n_tokens = MAX (d->n_tokens, 0);
  self->offsets = g_new (guint, 2 * self->n_tokens + 2);
  self->credit = g_new (double, self->n_tokens + 1);
  for (t = 0; t < self->n_tokens; t++)
    {
      self->offsets[2 * t] = MIN (d->offsets[2 * t], (guint) len);
      self->offsets[2 * t + 1] = MIN (MAX (d->offsets[2 * t + 1], self->offsets[2 * t]), (guint) len);
      self->credit[t] = d->credit != NULL ? d->credit[t] : NAN;
    }
  self->center = isfinite (d->center) ? d->center : 0.0;
  self->n_steps = MAX (d->n_steps, 0);
  self->steps = g_memdup2 (d->steps != NULL ? (gconstpointer) d->steps : "", 2 * sizeof (guint) * MAX (self->n_steps, 1));
  self->labelled = d->labelled;
  self->predicted = d->predicted;
  self->step_scores = d->step_scores != NULL && self->n_steps > 0
                        ? g_memdup2 (d->step_scores, sizeof (double) * self->n_steps) : NULL;
  self->cursor = -1;

  /* characters and the token each belongs to */
  self->n_chars = (int) g_utf8_strlen (self->text, -1);
  self->char_byte = g_new (guint, self->n_chars + 1);
  self->char_token = g_new (int, self->n_chars + 1);
  self->char_cells = g_new (guint8, self->n_chars + 1);
  self->char_value = g_new (gunichar, self->n_chars + 1);
  self->token_c0 = g_new (int, self->n_tokens + 1);
  for (c = 0, t = 0, p = self->text; *p; p = g_utf8_next_char (p), c++)
    {
      guint    b = (guint) (p - self->text);
      gunichar u = g_utf8_get_char (p);
      while (t < self->n_tokens && self->offsets[2 * t + 1] <= b)
        t++;
      self->char_byte[c] = b;
      self->char_token[c] = t < self->n_tokens && self->offsets[2 * t] <= b ? t : -1;
      self->char_value[c] = u;
      self->char_cells[c] = u == '\n' ? 0 : g_unichar_iszerowidth (u) ? 0 : g_unichar_iswide (u) ? 2 : 1;
    }
  self->char_byte[self->n_chars] = (guint) len;
  /* first character of each token: the first character whose byte lies in it */
  for (t = 0, c = 0; t < self->n_tokens; t++)
    {
      while (c < self->n_chars && self->char_byte[c] < self->offsets[2 * t])
        c++;
      self->token_c0[t] = c < self->n_chars && self->char_byte[c] < self->offsets[2 * t + 1] ? c : -1;
    }
  self->token_c0[self->n_tokens] = self->n_chars;

  /* steps of tokens: the last step beginning at or before the token, else the first */
  self->token_step = g_new (int, self->n_tokens + 1);
  self->step_token = g_new (int, self->n_steps + 1);
  for (int s = 0; s < self->n_steps; s++)
    self->step_token[s] = -1;
  for (t = 0; t < self->n_tokens; t++)
    {
      int s = -1;
      if (self->n_steps > 0)
        {
          s = 0;
          while (s + 1 < self->n_steps && self->steps[2 * (s + 1)] <= self->offsets[2 * t])
            s++;
          if (self->step_token[s] < 0 && (self->offsets[2 * t] >= self->steps[2 * s] || s == 0))
            self->step_token[s] = t;
        }
      self->token_step[t] = s;
    }

  /* default range: the 98th percentile of |credit - center| */
  {
    g_autofree double *a = g_new (double, self->n_tokens + 1);
    int n = 0;
    for (t = 0; t < self->n_tokens; t++)
      if (isfinite (self->credit[t]))
        a[n++] = fabs (self->credit[t] - self->center);
    qsort (a, n, sizeof (double), cmp_double);
    self->range = n > 0 ? a[MIN (n - 1, (int) floor (0.98 * (n - 1) + 0.5))] : 1.0;
    if (!(self->range > 1e-9))
      self->range = 1.0;
    self->default_range = self->range;
  }

  self->context = g_object_ref (context);
  measure (self, font);
  self->pieces = g_array_new (FALSE, FALSE, sizeof (Piece));
  self->lines = g_array_new (FALSE, FALSE, sizeof (int));
  self->token_piece = g_new (int, self->n_tokens + 1);
  return self;
}

void
assay_token_layout_free (AssayTokenLayout *self)
{
  if (self == NULL)
    return;
  g_free (self->text);
  g_free (self->offsets);
  g_free (self->credit);
  g_free (self->steps);
  g_free (self->step_scores);
  g_free (self->char_byte);
  g_free (self->char_token);
  g_free (self->char_cells);
  g_free (self->char_value);
  g_free (self->token_c0);
  g_free (self->token_step);
  g_free (self->step_token);
  g_free (self->token_piece);
  g_array_unref (self->pieces);
  g_array_unref (self->lines);
  g_clear_object (&self->pango);
  g_clear_object (&self->context);
  g_free (self);
}

int
assay_token_layout_get_n_tokens (AssayTokenLayout *self)
{
  return self->n_tokens;
}

char *
assay_token_layout_dup_token_text (AssayTokenLayout *self, int token)
{
  guint b, e;

  g_return_val_if_fail (token >= 0 && token < self->n_tokens, NULL);
  b = self->offsets[2 * token];
  e = self->offsets[2 * token + 1];
  return g_utf8_make_valid (self->text + b, e - b);
}

double
assay_token_layout_get_credit (AssayTokenLayout *self, int token)
{
  return token >= 0 && token < self->n_tokens ? self->credit[token] : NAN;
}

double
assay_token_layout_get_center (AssayTokenLayout *self)
{
  return self->center;
}

static void
add_piece (AssayTokenLayout *self, Piece *cur)
{
  if (cur->c1 > cur->c0)
    {
      g_array_append_val (self->pieces, *cur);
      if (cur->token >= 0 && self->token_piece[cur->token] < 0)
        self->token_piece[cur->token] = (int) self->pieces->len - 1;
    }
}

void
assay_token_layout_wrap (AssayTokenLayout *self, double width)
{
  int   line = 0, col = 0;
  Piece cur = { -2 };

  self->width = width;
  self->gutter = GUTTER_CELLS * self->cell_w + GUTTER_PAD + (self->step_scores != NULL ? SCORE_LANE : 0);
  self->columns = MAX (MIN_COLUMNS, (int) floor ((width - self->gutter - 4.0) / self->cell_w));
  g_array_set_size (self->pieces, 0);
  g_array_set_size (self->lines, 0);
  for (int t = 0; t < self->n_tokens; t++)
    self->token_piece[t] = -1;
  g_array_append_val (self->lines, (int) { 0 });

#define NEW_LINE()                                                                                 \
  do                                                                                               \
    {                                                                                              \
      add_piece (self, &cur);                                                                      \
      line++;                                                                                      \
      col = 0;                                                                                     \
      {                                                                                            \
        int first = (int) self->pieces->len;                                                       \
        g_array_append_val (self->lines, first);                                                   \
      }                                                                                            \
      cur.c0 = cur.c1;                                                                             \
      cur.line = line;                                                                             \
      cur.col = 0;                                                                                 \
      cur.cells = 0;                                                                               \
    }                                                                                              \
  while (0)

  for (int c = 0; c < self->n_chars;)
    {
      int token = self->char_token[c];
      int end = c;

      /* the run of characters of this token (or of text outside tokens) */
      while (end < self->n_chars && self->char_token[end] == token)
        end++;

      add_piece (self, &cur);
      cur = (Piece) { token, line, col, 0, c, c };
      for (; c < end; c++)
        {
          int w = self->char_cells[c];
          /* word wrap at blanks, whatever the tokens: a word (its characters up to the next
           * blank, across tokens) that does not fit the rest of the line but fits a line starts
           * one. Before a credit run the text is one run without tokens and wrapped inside words
           * ("whit|e"); the BPE pieces of one word ("group" "s") did too. */
          if (col > 0 && !g_unichar_isspace (self->char_value[c])
              && (c == 0 || g_unichar_isspace (self->char_value[c - 1])))
            {
              int cells = 0;
              for (int k = c; k < self->n_chars && !g_unichar_isspace (self->char_value[k]); k++)
                cells += self->char_cells[k];
              if (col + cells > self->columns && cells <= self->columns)
                {
                  cur.c1 = c;
                  NEW_LINE ();
                  cur.token = token;
                }
            }
          if (self->char_value[c] == '\n')
            {
              cur.c1 = c + 1;
              NEW_LINE ();
              cur.token = token;
              continue;
            }
          if (col + w > self->columns && col > 0)
            {
              cur.c1 = c;
              NEW_LINE ();
              cur.token = token;
            }
          col += w;
          cur.cells += w;
          cur.c1 = c + 1;
        }
    }
  add_piece (self, &cur);
  {
    int end = (int) self->pieces->len;
    g_array_append_val (self->lines, end);
  }
#undef NEW_LINE
}

double
assay_token_layout_get_line_height (AssayTokenLayout *self)
{
  return self->line_h;
}

int
assay_token_layout_get_n_lines (AssayTokenLayout *self)
{
  return MAX (0, (int) self->lines->len - 1);
}

double
assay_token_layout_get_height (AssayTokenLayout *self)
{
  return assay_token_layout_get_n_lines (self) * self->line_h;
}

void
assay_token_layout_set_range (AssayTokenLayout *self, double range)
{
  if (range > 1e-9 && isfinite (range))
    self->range = range;
  else
    self->range = self->default_range;
}

double
assay_token_layout_get_range (AssayTokenLayout *self)
{
  return self->range;
}

void
assay_token_layout_set_cursor (AssayTokenLayout *self, int token)
{
  self->cursor = token >= 0 && token < self->n_tokens ? token : -1;
}

void
assay_token_step_score_color (double p, double rgb[3])
{
  p = CLAMP (p, 0, 1);
  rgb[0] = p < 0.5 ? 0.80 : 0.80 - (p - 0.5) * 2 * 0.65;
  rgb[1] = p < 0.5 ? 0.15 + p * 2 * 0.50 : 0.65;
  rgb[2] = 0.15;
}

double
assay_token_layout_get_step_score (AssayTokenLayout *self, int step)
{
  return self->step_scores != NULL && step >= 0 && step < self->n_steps ? self->step_scores[step] : NAN;
}

int
assay_token_layout_token_step (AssayTokenLayout *self, int token)
{
  return token >= 0 && token < self->n_tokens ? self->token_step[token] : -1;
}

int
assay_token_layout_step_token (AssayTokenLayout *self, int step)
{
  return step >= 0 && step < self->n_steps ? self->step_token[step] : -1;
}

static const Piece *
piece (AssayTokenLayout *self, int i)
{
  return &g_array_index (self->pieces, Piece, i);
}

/* The step a line belongs to: that of its first token. */
static int
line_step (AssayTokenLayout *self, int line)
{
  int from = g_array_index (self->lines, int, line), to = g_array_index (self->lines, int, line + 1);

  for (int i = from; i < to; i++)
    if (piece (self, i)->token >= 0)
      return self->token_step[piece (self, i)->token];
  /* a line of text outside tokens (or empty): the step of the nearest token before it */
  for (int i = from - 1; i >= 0; i--)
    if (piece (self, i)->token >= 0)
      return self->token_step[piece (self, i)->token];
  return self->n_steps > 0 ? 0 : -1;
}

static void
draw_line_text (AssayTokenLayout *self, cairo_t *cr, int line, double y)
{
  int            from = g_array_index (self->lines, int, line), to = g_array_index (self->lines, int, line + 1);
  GString       *s = g_string_new (NULL);
  PangoAttrList *attrs = pango_attr_list_new ();

  for (int i = from; i < to; i++)
    {
      const Piece *pc = piece (self, i);
      guint        start = (guint) s->len;
      double       rgb[3];
      for (int c = pc->c0; c < pc->c1; c++)
        {
          gunichar u = self->char_value[c];
          if (u == '\n')
            continue;
          if (u < 0x20 || u == 0x7f || (u >= 0x80 && u < 0xa0))
            u = ' ';
          g_string_append_unichar (s, u);
        }
      if (pc->token >= 0 && pc->token != self->cursor
          && assay_token_color_scheme ((self->credit[pc->token] - self->center) / self->range,
                                       self->dark, rgb))
        {
          /* the text colour (the scheme's or white) that reads best on this token's colour */
          double          text[3];
          PangoAttribute *a;
          assay_token_text_color (rgb, self->dark, text);
          a = pango_attr_foreground_new ((guint16) (text[0] * 65535), (guint16) (text[1] * 65535),
                                         (guint16) (text[2] * 65535));
          a->start_index = start;
          a->end_index = (guint) s->len;
          pango_attr_list_insert (attrs, a);
        }
    }
  pango_layout_set_text (self->pango, s->str, (int) s->len);
  pango_layout_set_attributes (self->pango, attrs);
  {
    const double *text = (self->dark ? &dark_scheme : &light_scheme)->text;
    cairo_set_source_rgb (cr, text[0], text[1], text[2]);
  }
  cairo_move_to (cr, self->gutter, y + self->baseline);
  pango_cairo_show_layout (cr, self->pango);
  pango_attr_list_unref (attrs);
  g_string_free (s, TRUE);
}

void
assay_token_layout_draw (AssayTokenLayout *self, cairo_t *cr, double y0, double y1)
{
  int    first = MAX (0, (int) floor (y0 / self->line_h));
  int    last = MIN (assay_token_layout_get_n_lines (self), (int) ceil (y1 / self->line_h));
  double tx = self->gutter;

  const Scheme *sc = self->dark ? &dark_scheme : &light_scheme;

  /* paper and gutter */
  cairo_save (cr);
  cairo_set_source_rgb (cr, sc->paper[0], sc->paper[1], sc->paper[2]);
  cairo_rectangle (cr, 0, y0, self->width, y1 - y0);
  cairo_fill (cr);
  cairo_set_source_rgb (cr, sc->gutter[0], sc->gutter[1], sc->gutter[2]);
  cairo_rectangle (cr, 0, y0, self->gutter - 4.0, y1 - y0);
  cairo_fill (cr);

  for (int line = first; line < last; line++)
    {
      int    from = g_array_index (self->lines, int, line), to = g_array_index (self->lines, int, line + 1);
      double y = line * self->line_h;
      int    step = line_step (self, line);

      /* token backgrounds */
      for (int i = from; i < to; i++)
        {
          const Piece *pc = piece (self, i);
          double       rgb[3];
          if (pc->token < 0 || pc->cells == 0
              || !assay_token_color_scheme ((self->credit[pc->token] - self->center) / self->range,
                                            self->dark, rgb))
            continue;
          cairo_set_source_rgb (cr, rgb[0], rgb[1], rgb[2]);
          cairo_rectangle (cr, tx + pc->col * self->cell_w, y, pc->cells * self->cell_w, self->line_h);
          cairo_fill (cr);
        }
      /* gutter bars: labelled (red) and predicted (orange) first error */
      if (step >= 0 && step == self->labelled)
        {
          cairo_set_source_rgb (cr, 0.80, 0.10, 0.10);
          cairo_rectangle (cr, 1.0, y, 4.0, self->line_h);
          cairo_fill (cr);
        }
      if (step >= 0 && step == self->predicted)
        {
          cairo_set_source_rgb (cr, 0.95, 0.55, 0.05);
          cairo_rectangle (cr, 7.0, y, 4.0, self->line_h);
          cairo_fill (cr);
        }
      /* the PRM's lane: P(step right) from red (0) through amber to green (1) */
      if (step >= 0 && self->step_scores != NULL && isfinite (self->step_scores[step]))
        {
          double rgb[3];
          assay_token_step_score_color (self->step_scores[step], rgb);
          cairo_set_source_rgb (cr, rgb[0], rgb[1], rgb[2]);
          cairo_rectangle (cr, self->gutter - 4.0 - SCORE_LANE + 1.0, y, SCORE_LANE - 3.0, self->line_h);
          cairo_fill (cr);
        }
      /* step starts: the number in the gutter, a rule or tick in the text */
      for (int i = from; i < to; i++)
        {
          const Piece *pc = piece (self, i);
          int          s = pc->token >= 0 ? self->token_step[pc->token] : -1;
          if (s < 0 || self->step_token[s] != pc->token || self->token_piece[pc->token] != i)
            continue;
          {
            g_autofree char *num = g_strdup_printf ("%d", s);
            PangoRectangle   ink;
            pango_layout_set_attributes (self->pango, NULL);
            pango_layout_set_text (self->pango, num, -1);
            pango_layout_get_pixel_extents (self->pango, NULL, &ink);
            if (s == self->labelled)
              cairo_set_source_rgb (cr, self->dark ? 0.95 : 0.70, 0.40, 0.40);
            else
              cairo_set_source_rgb (cr, sc->number[0], sc->number[1], sc->number[2]);
            cairo_move_to (cr, self->gutter - 8.0 - (self->step_scores != NULL ? SCORE_LANE : 0) - ink.width,
                           y + self->baseline);
            pango_cairo_show_layout (cr, self->pango);
          }
          cairo_set_source_rgba (cr, sc->rule[0], sc->rule[1], sc->rule[2], sc->rule[3]);
          if (pc->col == 0)
            cairo_rectangle (cr, tx, y, self->columns * self->cell_w, 1.0);
          else
            cairo_rectangle (cr, tx + pc->col * self->cell_w - 1.0, y, 2.0, self->line_h);
          cairo_fill (cr);
        }
      draw_line_text (self, cr, line, y);
    }

  /* the cursor's token */
  if (self->cursor >= 0 && self->token_piece[self->cursor] >= 0)
    {
      cairo_set_source_rgb (cr, sc->cursor[0], sc->cursor[1], sc->cursor[2]);
      cairo_set_line_width (cr, 2.0);
      for (int i = self->token_piece[self->cursor]; i < (int) self->pieces->len && piece (self, i)->token == self->cursor; i++)
        {
          const Piece *pc = piece (self, i);
          if (pc->line < first || pc->line >= last || pc->cells == 0)
            continue;
          cairo_rectangle (cr, tx + pc->col * self->cell_w + 1.0, pc->line * self->line_h + 1.0,
                           pc->cells * self->cell_w - 2.0, self->line_h - 2.0);
          cairo_stroke (cr);
        }
    }
  cairo_restore (cr);
}

int
assay_token_layout_token_at (AssayTokenLayout *self, double x, double y)
{
  int line = (int) floor (y / self->line_h);
  int col;

  if (y < 0 || line >= assay_token_layout_get_n_lines (self) || x < self->gutter)
    return -1;
  col = (int) floor ((x - self->gutter) / self->cell_w);
  for (int i = g_array_index (self->lines, int, line); i < g_array_index (self->lines, int, line + 1); i++)
    {
      const Piece *pc = piece (self, i);
      if (col >= pc->col && col < pc->col + pc->cells)
        return pc->token;
    }
  return -1;
}

gboolean
assay_token_layout_token_rect (AssayTokenLayout *self, int token, double *x, double *y,
                               double *w, double *h)
{
  const Piece *pc;

  if (token < 0 || token >= self->n_tokens || self->token_piece[token] < 0)
    return FALSE;
  pc = piece (self, self->token_piece[token]);
  *x = self->gutter + pc->col * self->cell_w;
  *y = pc->line * self->line_h;
  *w = MAX (1, pc->cells) * self->cell_w;
  *h = self->line_h;
  return TRUE;
}

void
assay_token_legend_draw (cairo_t *cr, PangoContext *context, double x, double y, double width,
                         double height, double range, const double fg[3], gboolean dark)
{
  PangoLayout *layout = pango_layout_new (context);
  double       bar_w = MIN (140.0, width * 0.3), bar_h = MIN (12.0, height - 4.0);
  double       bx = x, by = y + (height - bar_h) / 2.0, tx;
  char         buf[128];
  PangoRectangle ext;

  {
    PangoFontDescription *desc = pango_font_description_from_string ("Sans 9");
    pango_layout_set_font_description (layout, desc);
    pango_font_description_free (desc);
  }
  cairo_save (cr);
  for (int i = 0; i < (int) bar_w; i++)
    {
      double rgb[3];
      assay_token_color_scheme (2.0 * i / (bar_w - 1.0) - 1.0, dark, rgb);
      cairo_set_source_rgb (cr, rgb[0], rgb[1], rgb[2]);
      cairo_rectangle (cr, bx + i, by, 1.0, bar_h);
      cairo_fill (cr);
    }
  cairo_set_source_rgb (cr, fg[0], fg[1], fg[2]);
  cairo_set_line_width (cr, 1.0);
  cairo_rectangle (cr, bx + 0.5, by + 0.5, bar_w - 1.0, bar_h - 1.0);
  cairo_stroke (cr);
  tx = bx + bar_w + 8.0;
  /* the scale's ends under the bar would crowd it: write them after it */
  g_snprintf (buf, sizeof buf, _("±%.3g nats from the mean"), range);
  pango_layout_set_text (layout, buf, -1);
  pango_layout_get_pixel_extents (layout, NULL, &ext);
  cairo_move_to (cr, tx, y + (height - ext.height) / 2.0);
  pango_cairo_show_layout (cr, layout);
  tx += ext.width + 16.0;
  cairo_set_source_rgb (cr, 0.80, 0.10, 0.10);
  cairo_rectangle (cr, tx, by, 4.0, bar_h);
  cairo_fill (cr);
  pango_layout_set_text (layout, _("labelled error"), -1);
  pango_layout_get_pixel_extents (layout, NULL, &ext);
  cairo_set_source_rgb (cr, fg[0], fg[1], fg[2]);
  cairo_move_to (cr, tx + 8.0, y + (height - ext.height) / 2.0);
  pango_cairo_show_layout (cr, layout);
  tx += 8.0 + ext.width + 16.0;
  cairo_set_source_rgb (cr, 0.95, 0.55, 0.05);
  cairo_rectangle (cr, tx, by, 4.0, bar_h);
  cairo_fill (cr);
  pango_layout_set_text (layout, _("predicted error"), -1);
  cairo_set_source_rgb (cr, fg[0], fg[1], fg[2]);
  cairo_move_to (cr, tx + 8.0, y + (height - ext.height) / 2.0);
  pango_cairo_show_layout (cr, layout);
  cairo_restore (cr);
  g_object_unref (layout);
}

void
assay_token_layout_set_dark (AssayTokenLayout *self, gboolean dark)
{
  self->dark = dark;
}

gboolean
assay_token_layout_get_dark (AssayTokenLayout *self)
{
  return self->dark;
}
