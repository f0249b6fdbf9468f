/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-gen-list.h"

struct _AssayGenList
{
  GObject     parent_instance;

  AssayStore *store;
  GArray     *ids;   /* gint64 */
  GHashTable *where; /* id -> position + 1, when the ids are not ascending (an order of doubt, a
                      * ranking by meaning); NULL when they are */
  GPtrArray  *items; /* AssayGenItem (or the custom type) or NULL, per position */
  GType              item_type;
  AssayGenListMake   make;
  AssayGenListReload reload;
  gpointer           data;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (AssayGenList, assay_gen_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
get_item_type (GListModel *model)
{
  return ASSAY_GEN_LIST (model)->item_type;
}

static guint
get_n_items (GListModel *model)
{
  return ASSAY_GEN_LIST (model)->ids->len;
}

static gpointer
get_item (GListModel *model, guint position)
{
  AssayGenList *self = ASSAY_GEN_LIST (model);

  if (position >= self->ids->len || self->store == NULL)
    return NULL;
  if (g_ptr_array_index (self->items, position) == NULL)
    g_ptr_array_index (self->items, position) =
      self->make != NULL ? self->make (self->store, g_array_index (self->ids, gint64, position), self->data)
                         : (GObject *) assay_gen_item_new (self->store, g_array_index (self->ids, gint64, position));
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
finalize (GObject *object)
{
  AssayGenList *self = ASSAY_GEN_LIST (object);

  g_clear_object (&self->store);
  g_array_unref (self->ids);
  g_clear_pointer (&self->where, g_hash_table_unref);
  g_ptr_array_unref (self->items);
  G_OBJECT_CLASS (assay_gen_list_parent_class)->finalize (object);
}

static void
assay_gen_list_class_init (AssayGenListClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = finalize;
}

static void
assay_gen_list_init (AssayGenList *self)
{
  self->ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->item_type = ASSAY_TYPE_GEN_ITEM;
}

AssayGenList *
assay_gen_list_new_custom (GType item_type, AssayGenListMake make, AssayGenListReload reload,
                           gpointer data)
{
  AssayGenList *self = g_object_new (ASSAY_TYPE_GEN_LIST, NULL);

  self->item_type = item_type;
  self->make = make;
  self->reload = reload;
  self->data = data;
  return self;
}

AssayGenList *
assay_gen_list_new (void)
{
  return g_object_new (ASSAY_TYPE_GEN_LIST, NULL);
}

static void
free_item (gpointer item)
{
  if (item != NULL)
    g_object_unref (item);
}

void
assay_gen_list_set (AssayGenList *self, AssayStore *store, GArray *ids)
{
  guint removed = self->ids->len;

  g_set_object (&self->store, store);
  /* Two changes, not one replacing everything: a view handed a replacement looks for the rows
   * it shows among all the new items (making every item); after a removal it has none. */
  g_array_set_size (self->ids, 0);
  g_ptr_array_set_size (self->items, 0);
  if (removed > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, removed, 0);
  g_array_unref (self->ids);
  self->ids = ids != NULL ? ids : g_array_new (FALSE, FALSE, sizeof (gint64));
  g_clear_pointer (&self->where, g_hash_table_unref);
  for (guint i = 1; i < self->ids->len; i++)
    if (g_array_index (self->ids, gint64, i) <= g_array_index (self->ids, gint64, i - 1))
      {
        self->where = g_hash_table_new (g_int64_hash, g_int64_equal);
        for (guint k = 0; k < self->ids->len; k++)
          g_hash_table_insert (self->where, &g_array_index (self->ids, gint64, k), GUINT_TO_POINTER (k + 1));
        break;
      }
  g_ptr_array_unref (self->items);
  self->items = g_ptr_array_new_full (self->ids->len, free_item);
  g_ptr_array_set_size (self->items, self->ids->len);
  if (self->ids->len > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, self->ids->len);
}

void
assay_gen_list_refresh (AssayGenList *self)
{
  for (guint i = 0; i < self->items->len; i++)
    {
      GObject *item = g_ptr_array_index (self->items, i);
      if (item == NULL)
        continue;
      if (item->ref_count > 1)
        {
          /* on screen or selected */
          if (self->reload != NULL)
            self->reload (item, self->store, self->data);
          else
            assay_gen_item_reload (ASSAY_GEN_ITEM (item), self->store);
        }
      else
        {
          g_ptr_array_index (self->items, i) = NULL;
          g_object_unref (item);
        }
    }
}

gint64
assay_gen_list_get_id (AssayGenList *self, guint position)
{
  return position < self->ids->len ? g_array_index (self->ids, gint64, position) : 0;
}

guint
assay_gen_list_find (AssayGenList *self, gint64 id)
{
  guint lo = 0, hi = self->ids->len;

  if (self->where != NULL)
    return GPOINTER_TO_UINT (g_hash_table_lookup (self->where, &id)) - 1; /* G_MAXUINT when absent */
  /* ids ascending: a binary search */

  while (lo < hi)
    {
      guint  mid = lo + (hi - lo) / 2;
      gint64 v = g_array_index (self->ids, gint64, mid);
      if (v == id)
        return mid;
      if (v < id)
        lo = mid + 1;
      else
        hi = mid;
    }
  return G_MAXUINT;
}

const gint64 *
assay_gen_list_get_ids (AssayGenList *self, guint *n)
{
  *n = self->ids->len;
  return (const gint64 *) self->ids->data;
}
