#!/bin/sh
# Runs a UI test on its own X server and session bus.
# SPDX-License-Identifier: GPL-3.0-or-later
# Cairo rendering: Xvfb has only software GL (llvmpipe), which costs ~25 ms a frame by itself.
export GDK_BACKEND=x11 GTK_A11Y=none NO_AT_BRIDGE=1 GSK_RENDERER=${GSK_RENDERER:-cairo}
exec dbus-run-session -- xvfb-run -a -s "-screen 0 1600x1000x24 -nolisten tcp" "$@"
