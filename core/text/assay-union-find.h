/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-union-find.h: disjoint sets of 0 .. n-1 (path halving, the lower index the root), and
 * their groups of two or more: near-duplicate groups, whatever found the pairs. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _AssayUnionFind AssayUnionFind;

AssayUnionFind *assay_union_find_new (guint n);
void            assay_union_find_free (AssayUnionFind *self);
guint           assay_union_find_root (AssayUnionFind *self, guint i);
void            assay_union_find_unite (AssayUnionFind *self, guint a, guint b);
/* The sets of two or more: each a GArray of guint indices, ascending, the groups ordered by their
 * first index. */
GPtrArray      *assay_union_find_groups (AssayUnionFind *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AssayUnionFind, assay_union_find_free)

G_END_DECLS
