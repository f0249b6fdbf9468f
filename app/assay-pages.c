/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-pages.h"

#include <glib/gi18n.h>

#include "assay-changepoints-page.h"
#include "assay-generations-page.h"
#include "assay-labels-page.h"
#include "assay-traces-page.h"
#include "assay-videos-page.h"

AssayPage **
assay_pages_create (void)
{
  AssayPage **pages = g_new0 (AssayPage *, 6);

  pages[0] = assay_labels_page_new ();
  pages[1] = assay_generations_page_new ();
  pages[2] = assay_changepoints_page_new ();
  pages[3] = assay_videos_page_new ();
  pages[4] = assay_traces_page_new ();
  return pages;
}
