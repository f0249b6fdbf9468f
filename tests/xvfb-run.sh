#!/bin/sh
# Runs a UI test on its own X server and session bus.
# SPDX-License-Identifier: GPL-3.0-or-later
export GDK_BACKEND=x11 GTK_A11Y=none NO_AT_BRIDGE=1
exec dbus-run-session -- xvfb-run -a -s "-screen 0 1600x1000x24 -nolisten tcp" "$@"
