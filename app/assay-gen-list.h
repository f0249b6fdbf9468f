/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-gen-list.h: a lazy list model of generation records: it holds only their ids, and
 * makes an item (reading its summary from the store) when a view asks for it. Items a view no
 * longer holds are dropped when the records change, so memory follows what is on screen. */
#pragma once

#include <gio/gio.h>

#include "assay-gen-item.h"

G_BEGIN_DECLS

#define ASSAY_TYPE_GEN_LIST (assay_gen_list_get_type ())
G_DECLARE_FINAL_TYPE (AssayGenList, assay_gen_list, ASSAY, GEN_LIST, GObject)

AssayGenList *assay_gen_list_new (void);
/* Items of another type, made and re-read by the given functions (data stays the caller's). */
typedef GObject *(*AssayGenListMake) (AssayStore *store, gint64 id, gpointer data);
typedef void (*AssayGenListReload) (GObject *item, AssayStore *store, gpointer data);
AssayGenList *assay_gen_list_new_custom (GType              item_type,
                                         AssayGenListMake   make,
                                         AssayGenListReload reload,
                                         gpointer           data);
/* Replaces the rows (ids: gint64, taken); store is used to read items */
void          assay_gen_list_set (AssayGenList *self, AssayStore *store, GArray *ids);
/* Records changed in the store: items in use read themselves again, the others are dropped */
void          assay_gen_list_refresh (AssayGenList *self);
gint64        assay_gen_list_get_id (AssayGenList *self, guint position);
/* Position of id, or GTK_INVALID_LIST_POSITION (G_MAXUINT) */
guint         assay_gen_list_find (AssayGenList *self, gint64 id);
const gint64 *assay_gen_list_get_ids (AssayGenList *self, guint *n);

G_END_DECLS
