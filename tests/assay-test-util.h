/* SPDX-License-Identifier: GPL-3.0-or-later */
/* assay-test-util.h: helpers shared by the test programs. */
#pragma once

#include <glib.h>

#include <json-glib/json-glib.h>

#include "assay-store.h"

G_BEGIN_DECLS

/* A fresh temporary folder, removed with its contents at exit. */
const char *assay_test_tmpdir (void);
/* A path inside the temporary folder (free with g_free). */
char       *assay_test_path (const char *name);
/* A new, empty workspace at assay_test_path (name) (a file already there is removed) */
AssayStore *assay_test_fresh_store (const char *name);
/* Writes contents to assay_test_path (name) and returns that path (free with g_free) */
char       *assay_test_write_file (const char *name, const char *contents);
/* The shared data folder (ASSAY_SHARED_DATA, default ../shared/data next to the source tree), or
 * NULL with a visible skip when it is missing. */
const char *assay_test_shared_data (void);
/* Path of a file in the source tree, e.g. "tests/fuzz/seeds/video/tiny-vp8.webm". */
char       *assay_test_source_path (const char *relative);
/* Path of a built program (ASSAY_BUILD_ROOT-relative), e.g. "app/cli/assay-cli". */
char       *assay_test_build_path (const char *relative);
/* Runs argv, capturing stdout and stderr; returns the exit status. */
int         assay_test_spawn (const char *const *argv, char **out, char **err);
/* Runs assay-cli with args (NULL-terminated), failing the test unless it exits with
 * want_status; returns its stdout as a JSON object when it succeeded (else NULL). */
JsonObject *assay_test_cli_json (const char *const *args, int want_status, char **err_out);
/* The member of a signals fit's "signals" named name, or NULL */
JsonObject *assay_test_signal_named (JsonObject *fit, const char *name);

G_END_DECLS
