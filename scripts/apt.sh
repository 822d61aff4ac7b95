#!/usr/bin/env bash
# apt_install PACKAGE...: install Debian packages as root, or through sudo when available.
apt_install() {
    local sudo=""
    if [ "$(id -u)" != "0" ]; then
        if command -v sudo >/dev/null; then sudo="sudo"; else
            echo "need root (or sudo) to install: $*" >&2; return 1
        fi
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}
