#!/bin/sh
# Installs the compiled auki-edge binary as a systemd service:
#   <root>/usr/local/bin/auki-edge             the binary (0755)
#   <root>/etc/systemd/system/auki-edge.service the unit (scripts/auki-edge.service)
#   <root>/etc/auki-edge/config.json           scripts/default_config.json, only
#                                              when no configuration is there yet
# Without --root, on a machine where systemd runs, it also creates the system
# user auki-edge (in the dialout and video groups where they exist), reloads
# systemd, and enables and (re)starts the service. --uninstall stops and
# disables it and removes the binary and the unit; the configuration, the
# state in /var/lib/auki-edge (identity seed, logs) and the user stay.
#
# Usage: install.sh --binary FILE [--root DIR]
#        install.sh --uninstall [--root DIR]
set -eu

USAGE="Usage: install.sh --binary FILE [--root DIR] | --uninstall [--root DIR]"
NAME=auki-edge
HERE=$(cd "$(dirname "$0")" && pwd)

# fail MESSAGE CODE: one line on stderr, exit CODE (2 for bad input).
fail() {
  echo "install.sh: $1" >&2
  exit "$2"
}

binary=
root=
uninstall=no
while [ $# -gt 0 ]; do
  case $1 in
    --binary | --root)
      [ $# -ge 2 ] || fail "$1: expects a value ($USAGE)" 2
      if [ "$1" = --binary ]; then binary=$2; else root=$2; fi
      shift 2
      ;;
    --binary=*) binary=${1#*=}; shift ;;
    --root=*) root=${1#*=}; shift ;;
    --uninstall) uninstall=yes; shift ;;
    -h | --help) echo "$USAGE"; exit 0 ;;
    *) fail "unknown flag \"$1\" ($USAGE)" 2 ;;
  esac
done

if [ -n "$root" ]; then
  [ -d "$root" ] || fail "--root: $root is not a directory" 2
  root=$(cd "$root" && pwd)
  live=no
else
  [ "$(id -u)" = 0 ] || fail "installing into / needs root: run it with sudo (or give --root DIR)" 1
  live=yes
fi
# The service is managed only on the machine itself, and only under systemd.
managed=no
if [ "$live" = yes ] && [ -d /run/systemd/system ]; then managed=yes; fi

bin_path=$root/usr/local/bin/$NAME
unit_path=$root/etc/systemd/system/$NAME.service
config_path=$root/etc/$NAME/config.json

if [ "$uninstall" = yes ]; then
  [ -z "$binary" ] || fail "--binary: not used with --uninstall" 2
  if [ "$managed" = yes ] && [ -f "$unit_path" ]; then
    systemctl disable --now "$NAME.service"
  fi
  rm -f "$bin_path" "$unit_path"
  echo "removed $bin_path and $unit_path"
  if [ "$managed" = yes ]; then systemctl daemon-reload; fi
  echo "kept $config_path and $root/var/lib/$NAME (identity seed, logs, registries); delete them to forget this device"
  exit 0
fi

[ -n "$binary" ] || fail "--binary: the compiled auki-edge binary is required ($USAGE)" 2
[ -f "$binary" ] || fail "--binary: $binary is not a file" 2

install -D -m 0755 "$binary" "$bin_path"
echo "installed $bin_path"
install -D -m 0644 "$HERE/$NAME.service" "$unit_path"
echo "installed $unit_path"
if [ -e "$config_path" ]; then
  echo "kept the existing $config_path"
else
  install -D -m 0644 "$HERE/default_config.json" "$config_path"
  echo "installed $config_path (no sensors yet: add them there)"
fi

if [ "$managed" = no ]; then
  if [ "$live" = yes ]; then
    echo "systemd is not running here: start the agent with $bin_path run --config $config_path"
  fi
  exit 0
fi
if ! id "$NAME" >/dev/null 2>&1; then
  useradd --system --user-group --no-create-home --home-dir "/var/lib/$NAME" \
    --shell /usr/sbin/nologin --comment "auki-edge sensor agent" "$NAME"
  echo "created the system user $NAME"
fi
# Serial adapters belong to dialout, cameras to video (where they exist).
for group in dialout video; do
  if getent group "$group" >/dev/null; then usermod -a -G "$group" "$NAME"; fi
done
systemctl daemon-reload
systemctl enable "$NAME.service"
systemctl restart "$NAME.service"
echo "started $NAME.service: see systemctl status $NAME and journalctl -u $NAME"
