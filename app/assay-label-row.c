/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-label-row.h"

struct _AssayLabelRow
{
  GObject  parent_instance;

  guint    index;
  char    *name;
  guint    n_train;
  guint    n_test;
  char    *bin;
  gboolean trained;
  double   f1, precision, recall;
};

enum
{
  PROP_0,
  PROP_INDEX,
  PROP_NAME,
  PROP_N_TRAIN,
  PROP_N_TEST,
  PROP_BIN,
  PROP_TRAINED,
  PROP_F1,
  PROP_PRECISION,
  PROP_RECALL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (AssayLabelRow, assay_label_row, G_TYPE_OBJECT)

static void
assay_label_row_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  AssayLabelRow *self = ASSAY_LABEL_ROW (object);

  switch (prop_id)
    {
    case PROP_INDEX:
      g_value_set_uint (value, self->index);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_N_TRAIN:
      g_value_set_uint (value, self->n_train);
      break;
    case PROP_N_TEST:
      g_value_set_uint (value, self->n_test);
      break;
    case PROP_BIN:
      g_value_set_string (value, self->bin);
      break;
    case PROP_TRAINED:
      g_value_set_boolean (value, self->trained);
      break;
    case PROP_F1:
      g_value_set_double (value, self->f1);
      break;
    case PROP_PRECISION:
      g_value_set_double (value, self->precision);
      break;
    case PROP_RECALL:
      g_value_set_double (value, self->recall);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
assay_label_row_finalize (GObject *object)
{
  AssayLabelRow *self = ASSAY_LABEL_ROW (object);

  g_free (self->name);
  g_free (self->bin);
  G_OBJECT_CLASS (assay_label_row_parent_class)->finalize (object);
}

static void
assay_label_row_class_init (AssayLabelRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags   flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->get_property = assay_label_row_get_property;
  object_class->finalize = assay_label_row_finalize;
  properties[PROP_INDEX] = g_param_spec_uint ("index", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_N_TRAIN] = g_param_spec_uint ("n-train", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_N_TEST] = g_param_spec_uint ("n-test", NULL, NULL, 0, G_MAXUINT, 0, flags);
  properties[PROP_BIN] = g_param_spec_string ("bin", NULL, NULL, NULL, flags);
  properties[PROP_TRAINED] = g_param_spec_boolean ("trained", NULL, NULL, FALSE, flags);
  properties[PROP_F1] = g_param_spec_double ("f1", NULL, NULL, -1, 1, -1, flags);
  properties[PROP_PRECISION] = g_param_spec_double ("precision", NULL, NULL, -1, 1, -1, flags);
  properties[PROP_RECALL] = g_param_spec_double ("recall", NULL, NULL, -1, 1, -1, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
assay_label_row_init (AssayLabelRow *self)
{
  self->f1 = self->precision = self->recall = -1;
}

AssayLabelRow *
assay_label_row_new (guint index, const char *name, guint n_train, guint n_test, const char *bin,
                     gboolean trained)
{
  AssayLabelRow *self = g_object_new (ASSAY_TYPE_LABEL_ROW, NULL);

  self->index = index;
  self->name = g_strdup (name);
  self->n_train = n_train;
  self->n_test = n_test;
  self->bin = g_strdup (bin);
  self->trained = trained;
  return self;
}

void
assay_label_row_set_scores (AssayLabelRow *self, double f1, double precision, double recall)
{
  self->f1 = f1;
  self->precision = precision;
  self->recall = recall;
}

guint
assay_label_row_get_index (AssayLabelRow *self)
{
  return self->index;
}

const char *
assay_label_row_get_name (AssayLabelRow *self)
{
  return self->name;
}

const char *
assay_label_row_get_bin (AssayLabelRow *self)
{
  return self->bin;
}

guint
assay_label_row_get_n_train (AssayLabelRow *self)
{
  return self->n_train;
}
