# shellcheck shell=sh
# Sourced by the test scripts: puts the directory of the python3
# interpreter itself first in PATH. A version manager's python3 (pyenv's
# shim) is a shell script that takes 0.1 to 0.9 s to start the real one,
# and the tests run python3 some thousand times.
mm_python_dir=$(python3 -c \
	'import os, sys; print(os.path.dirname(os.path.realpath(sys.executable)))' \
	2>/dev/null) || mm_python_dir=
if [ -n "$mm_python_dir" ] && [ -x "$mm_python_dir/python3" ]; then
	PATH="$mm_python_dir:$PATH"
	export PATH
fi
unset mm_python_dir
