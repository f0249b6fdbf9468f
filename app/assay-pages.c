/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-pages.h"

#include <glib/gi18n.h>

#include "assay-changepoints-page.h"
#include "assay-generations-page.h"
#include "assay-labels-page.h"
#include "assay-traces-page.h"

static AssayPage *
videos_page_new (void)
{
  return assay_page_new (
    "videos", _("Videos"), "assay-videos-symbolic", _("No Videos"),
    _("Uniformly sampled frames beside captions, QA pairs, scored responses and the preference "
      "pairs derived from the scores.\n\nImport a video folder or LLaVA-Hound JSONL with "
      "“assay-cli video import”."));
}

AssayPage **
assay_pages_create (void)
{
  AssayPage **pages = g_new0 (AssayPage *, 6);

  pages[0] = assay_labels_page_new ();
  pages[1] = assay_generations_page_new ();
  pages[2] = assay_changepoints_page_new ();
  pages[3] = videos_page_new ();
  pages[4] = assay_traces_page_new ();
  return pages;
}
