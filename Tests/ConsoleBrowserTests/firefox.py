"""Headless Firefox (Debian's firefox-esr) driven over Marionette, its own remote protocol, through Mozilla's
marionette_driver, behind the small part of selenium's WebDriver interface the console flows use.

Selenium drives Firefox only through geckodriver, which Debian does not package and selenium's driver manager
would download; Marionette needs nothing but Firefox itself.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time

from marionette_driver import errors
from marionette_driver.marionette import Marionette
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException

FIREFOX = os.environ.get("QUERYGATE_TEST_FIREFOX", "/usr/bin/firefox-esr")


def _translated(call):
    """Marionette's errors as the selenium ones the flows and selenium's wait conditions catch."""
    try:
        return call()
    except errors.NoSuchElementException as error:
        raise NoSuchElementException(str(error))
    except errors.StaleElementException as error:
        raise StaleElementReferenceException(str(error))
    except errors.MarionetteException as error:
        raise WebDriverException(str(error))


class Element:
    def __init__(self, element):
        self._element = element

    def click(self):
        _translated(self._element.click)

    def send_keys(self, text):
        _translated(lambda: self._element.send_keys(text))

    def get_attribute(self, name):
        # WebDriver's Get Element Attribute, with the live value of a form control, as selenium's does.
        if name == "value":
            return _translated(lambda: self._element.get_property("value"))
        return _translated(lambda: self._element.get_attribute(name))

    def is_displayed(self):
        return _translated(self._element.is_displayed)

    def is_enabled(self):
        return _translated(self._element.is_enabled)

    @property
    def text(self):
        return _translated(lambda: self._element.text)


class Firefox:
    """Starts its own Firefox with a fresh profile on a free Marionette port; `quit` ends both."""

    def __init__(self, width=1400, height=900):
        self._profile = tempfile.mkdtemp(prefix="querygate-firefox-")
        port = _free_port()
        with open(os.path.join(self._profile, "user.js"), "w") as prefs:
            prefs.write(f'user_pref("marionette.port", {port});\n')
            # Nothing of Mozilla's own services: the machine may have no network, and the flows need none.
            for pref in ("app.update.enabled", "datareporting.policy.dataSubmissionEnabled", "toolkit.telemetry.enabled",
                         "browser.shell.checkDefaultBrowser", "messaging-system.rsexperimentloader.enabled"):
                prefs.write(f'user_pref("{pref}", false);\n')
        self._process = subprocess.Popen(
            [FIREFOX, "--headless", "--marionette", "--no-remote", "--profile", self._profile,
             f"--width={width}", f"--height={height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            self.quit()
            raise AssertionError("Firefox did not open its Marionette port within 30 s")
        self._marionette = Marionette(host="127.0.0.1", port=port, startup_timeout=30)
        self._marionette.start_session()

    def set_page_load_timeout(self, seconds):
        self._marionette.timeout.page_load = seconds

    def get(self, url):
        _translated(lambda: self._marionette.navigate(url))

    def find_element(self, by, value):
        return Element(_translated(lambda: self._marionette.find_element(by, value)))

    def find_elements(self, by, value):
        return [Element(e) for e in _translated(lambda: self._marionette.find_elements(by, value))]

    def execute_script(self, script, *arguments):
        return _translated(lambda: self._marionette.execute_script(script, script_args=list(arguments), sandbox=None))

    def save_screenshot(self, path):
        with open(path, "wb") as image:
            image.write(self._marionette.screenshot(format="binary"))

    def quit(self):
        try:
            if getattr(self, "_marionette", None):
                self._marionette.delete_session()
        except Exception:
            pass
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
        shutil.rmtree(self._profile, ignore_errors=True)


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
