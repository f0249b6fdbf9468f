/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-cpd-series-row.h"

struct _AssayCpdSeriesRow
{
  GObject parent_instance;

  gint64  id;
  char   *name;
  guint   steps, variables, truth, marks;
  char   *type;
  double  auc, tri, f1, cover;
};

enum
{
  PROP_0,
  PROP_NAME,
  PROP_STEPS,
  PROP_VARIABLES,
  PROP_TRUTH,
  PROP_MARKS,
  PROP_TYPE,
  PROP_AUC,
  PROP_TRI,
  PROP_F1,
  PROP_COVER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (AssayCpdSeriesRow, assay_cpd_series_row, G_TYPE_OBJECT)

static void
get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AssayCpdSeriesRow *self = ASSAY_CPD_SERIES_ROW (object);

  switch (prop_id)
    {
    case PROP_NAME: g_value_set_string (value, self->name); break;
    case PROP_STEPS: g_value_set_uint (value, self->steps); break;
    case PROP_VARIABLES: g_value_set_uint (value, self->variables); break;
    case PROP_TRUTH: g_value_set_uint (value, self->truth); break;
    case PROP_MARKS: g_value_set_uint (value, self->marks); break;
    case PROP_TYPE: g_value_set_string (value, self->type); break;
    case PROP_AUC: g_value_set_double (value, self->auc); break;
    case PROP_TRI: g_value_set_double (value, self->tri); break;
    case PROP_F1: g_value_set_double (value, self->f1); break;
    case PROP_COVER: g_value_set_double (value, self->cover); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
finalize (GObject *object)
{
  AssayCpdSeriesRow *self = ASSAY_CPD_SERIES_ROW (object);

  g_free (self->name);
  g_free (self->type);
  G_OBJECT_CLASS (assay_cpd_series_row_parent_class)->finalize (object);
}

static void
assay_cpd_series_row_class_init (AssayCpdSeriesRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags   flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->get_property = get_property;
  object_class->finalize = finalize;
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_STEPS] = g_param_spec_uint ("steps", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_VARIABLES] = g_param_spec_uint ("variables", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_TRUTH] = g_param_spec_uint ("truth", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_MARKS] = g_param_spec_uint ("marks", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_TYPE] = g_param_spec_string ("type", NULL, NULL, NULL, flags);
  properties[PROP_AUC] = g_param_spec_double ("auc", NULL, NULL, -1, G_MAXDOUBLE, -1, flags);
  properties[PROP_TRI] = g_param_spec_double ("tri", NULL, NULL, -1, G_MAXDOUBLE, -1, flags);
  properties[PROP_F1] = g_param_spec_double ("f1", NULL, NULL, -1, G_MAXDOUBLE, -1, flags);
  properties[PROP_COVER] = g_param_spec_double ("cover", NULL, NULL, -1, G_MAXDOUBLE, -1, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
assay_cpd_series_row_init (AssayCpdSeriesRow *self)
{
}

AssayCpdSeriesRow *
assay_cpd_series_row_new (gint64 id, const char *name, guint steps, guint variables, guint truth,
                          guint marks, const char *type, double auc, double tri, double f1,
                          double cover)
{
  AssayCpdSeriesRow *self = g_object_new (ASSAY_TYPE_CPD_SERIES_ROW, NULL);

  self->id = id;
  self->name = g_strdup (name);
  self->steps = steps;
  self->variables = variables;
  self->truth = truth;
  self->marks = marks;
  self->type = g_strdup (type != NULL ? type : "");
  self->auc = auc;
  self->tri = tri;
  self->f1 = f1;
  self->cover = cover;
  return self;
}

gint64
assay_cpd_series_row_get_id (AssayCpdSeriesRow *self)
{
  return self->id;
}

const char *
assay_cpd_series_row_get_name (AssayCpdSeriesRow *self)
{
  return self->name;
}

void
assay_cpd_series_row_set_marks (AssayCpdSeriesRow *self, guint marks)
{
  g_return_if_fail (ASSAY_IS_CPD_SERIES_ROW (self));
  if (self->marks == marks)
    return;
  self->marks = marks;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MARKS]);
}
