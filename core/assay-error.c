/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "assay-error.h"

G_DEFINE_QUARK (assay-error-quark, assay_error)
