# Source it (after cluster.sh); then call `prepare_browser_tests`, which installs Debian's chromium,
# chromium-driver and firefox-esr when they are missing, and selenium and marionette_driver into a virtual
# environment under .build, and exports QUERYGATE_TEST_BROWSER_PYTHON (and QUERYGATE_TEST_FIREFOX) for the
# console's browser tests (Tests/ConsoleBrowserTests).
#
# selenium is always pointed at /usr/bin/chromedriver: its own driver manager would try to download a driver.
# Firefox is driven over Marionette, its own protocol, because geckodriver is not packaged by Debian.

prepare_browser_tests() {
  local here=Tests/ConsoleBrowserTests venv=.build/console-browser-venv missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  [ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
  [ -x /usr/bin/firefox-esr ] || missing+=(firefox-esr)
  if ((${#missing[@]})); then
    if [ "$(id -u)" != 0 ]; then
      log "missing: ${missing[*]}; the browser tests are skipped. Install them with: sudo apt-get install -y ${missing[*]}"
      return 0
    fi
    log "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  if ! cmp -s "$here/requirements.txt" "$venv/requirements.txt" 2>/dev/null; then
    log "installing the browser tests' Python packages into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$here/requirements.txt"
    cp "$here/requirements.txt" "$venv/requirements.txt"
  fi
  export QUERYGATE_TEST_BROWSER_PYTHON="$PWD/$venv/bin/python"
  export QUERYGATE_TEST_FIREFOX=/usr/bin/firefox-esr
  # Selenium Manager stays off: the driver and the browser are named explicitly.
  export SE_OFFLINE=true
}
