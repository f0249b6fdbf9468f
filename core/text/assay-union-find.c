/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-union-find.h"

struct _AssayUnionFind
{
  guint  n;
  guint *parent;
};

AssayUnionFind *
assay_union_find_new (guint n)
{
  AssayUnionFind *self = g_new (AssayUnionFind, 1);

  self->n = n;
  self->parent = g_new (guint, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    self->parent[i] = i;
  return self;
}

void
assay_union_find_free (AssayUnionFind *self)
{
  if (self == NULL)
    return;
  g_free (self->parent);
  g_free (self);
}

guint
assay_union_find_root (AssayUnionFind *self, guint i)
{
  while (self->parent[i] != i)
    i = self->parent[i] = self->parent[self->parent[i]];
  return i;
}

void
assay_union_find_unite (AssayUnionFind *self, guint a, guint b)
{
  a = assay_union_find_root (self, a);
  b = assay_union_find_root (self, b);
  if (a != b)
    self->parent[MAX (a, b)] = MIN (a, b);
}

GPtrArray *
assay_union_find_groups (AssayUnionFind *self)
{
  g_autofree GArray **of_root = g_new0 (GArray *, MAX (self->n, 1));
  GPtrArray          *groups = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);

  /* a root is its set's lowest index: groups come out ascending and in order of their first */
  for (guint i = 0; i < self->n; i++)
    {
      guint root = assay_union_find_root (self, i);
      if (root == i)
        continue;
      if (of_root[root] == NULL)
        {
          of_root[root] = g_array_new (FALSE, FALSE, sizeof (guint));
          g_array_append_val (of_root[root], root);
        }
      g_array_append_val (of_root[root], i);
    }
  for (guint i = 0; i < self->n; i++)
    if (of_root[i] != NULL)
      g_ptr_array_add (groups, of_root[i]);
  return groups;
}
