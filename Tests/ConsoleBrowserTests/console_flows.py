"""Drives the demo's Slack console in a headless browser, as a person would: Debian's chromium and chromedriver,
selenium pointed at that driver explicitly (its driver manager would try to download one, which cannot work here);
or, with --browser firefox, Debian's firefox-esr over Marionette (firefox.py).

    console_flows.py http://127.0.0.1:PORT approve|reject|home [--browser chromium|firefox] [--screenshot PATH]

Prints one line `PASS <flow>: …` and exits 0 when the flow ends as it should; otherwise prints what it saw and
exits 1. Every wait is bounded.
"""
import re
import sys

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

DEVELOPER, MANAGER = "U0DEMODEV1", "U0DEMOMGR1"
QUERY = "SELECT id, email, country FROM customers ORDER BY id LIMIT 3"


def browser(kind="chromium"):
    if kind == "firefox":
        from firefox import Firefox
        return Firefox()
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,900"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)


def wait(driver, condition, what, seconds=30):
    try:
        return WebDriverWait(driver, seconds, poll_frequency=0.2).until(condition)
    except TimeoutException:
        raise AssertionError(f"timed out waiting for {what}")


def texts(driver, selector):
    """The text of every element matching `selector`, read in one go: the page redraws as it polls, so an element
    found a moment ago may be gone."""
    return driver.execute_script("return [...document.querySelectorAll(arguments[0])].map((e) => e.innerText)", selector)


def click(driver, selector, what):
    def clicked(d):
        try:
            d.find_element(By.CSS_SELECTOR, selector).click()
            return True
        except StaleElementReferenceException:
            return False
        except Exception:
            return False
    wait(driver, clicked, what)


def be(driver, person):
    wait(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#person option")) >= 3, "the people to pick from")
    choose(driver, person)
    wait(driver, lambda d: d.find_element(By.ID, "person").get_attribute("value") == person, f"being {person}")


def choose(driver, person):
    """Picks `person` in the "You are" list: WebDriver's click on an option selects it and fires `change`, as a
    person's pick does (in both browsers; selenium's Select helper needs more of WebDriver than firefox.py has)."""
    click(driver, f"#person option[value='{person}']", f"{person} in the list of people")


def submit(driver, reason):
    be(driver, DEVELOPER)
    before = len(texts(driver, ".ephemeral"))
    box = driver.find_element(By.ID, "composer")
    box.send_keys(f"/query demo/shop {reason} ```{QUERY}```")
    box.send_keys(Keys.ENTER)
    wait(driver, lambda d: len(texts(d, ".ephemeral")) > before, "the ephemeral answer to /query")
    answer = texts(driver, ".ephemeral")[-1]
    number = re.search(r"#(\d+)", answer)
    assert number, f"no request number in the answer: {answer!r}"
    return number.group(1)


def button(driver, action, request):
    selector = f"button[data-action-id='{action}'][data-value='{request}']"
    wait(driver, EC.element_to_be_clickable((By.CSS_SELECTOR, selector)), f"the {action} button of request #{request}")
    click(driver, selector, f"a click on the {action} button of request #{request}")


def approve(driver):
    request = submit(driver, "Browser test approval")
    be(driver, MANAGER)
    button(driver, "request.approve", request)
    def result(d):
        return next((t for t in texts(d, f"#messages .message") if f"#{request}" in t and "customer3@example.com" in t), None)
    thread = wait(driver, result, "the result rows in the thread")
    for row in ("customer1@example.com", "customer2@example.com", "customer3@example.com"):
        assert row in thread, f"{row} is not in the thread: {thread!r}"
    return f"request #{request} approved by the manager; its thread shows the rows customer1..3@example.com"


def reject(driver):
    request = submit(driver, "Browser test rejection")
    be(driver, MANAGER)
    button(driver, "request.reject", request)
    wait(driver, EC.visibility_of_element_located((By.ID, "modal")), "the rejection modal")
    click(driver, "#modal-submit", "a click on Reject with no reason")
    error = wait(driver, lambda d: next((t for t in texts(d, "#modal [data-block-error]") if t.strip()), None),
                 "the field error of an empty reason")
    field = driver.find_element(By.CSS_SELECTOR, "#modal textarea[data-action-id='rejection_input']")
    field.send_keys("Use the read replica for this, please")
    click(driver, "#modal-submit", "a click on Reject")
    wait(driver, EC.invisibility_of_element_located((By.ID, "modal")), "the modal to close")
    wait(driver, lambda d: any("Use the read replica" in m and f"#{request}" in m for m in texts(d, "#messages .message")),
         "the rejected approval message")
    be(driver, DEVELOPER)
    click(driver, "#directs button", "the direct messages")
    wait(driver, lambda d: any("Use the read replica" in m and f"#{request}" in m for m in texts(d, "#messages .message")),
         "the requester's direct message with the reason")
    return f"request #{request} rejected through the modal (an empty reason was refused: {error.strip()!r}); the requester's DM has the reason"


def home(driver):
    request = submit(driver, "Browser test from the Home tab")
    be(driver, MANAGER)
    click(driver, "#home-tab", "the Home tab")
    wait(driver, lambda d: any("Waiting for your decision" in t and f"#{request}" in t for t in texts(d, "#messages .home")),
         f"request #{request} waiting in the manager's Home tab")
    button(driver, "request.approve", request)
    wait(driver, lambda d: any("Nothing waits for you." in t for t in texts(d, "#messages .home")),
         "the Home tab republished without the approved request")
    be(driver, DEVELOPER)
    click(driver, "#home-tab", "the developer's Home tab")
    mine = wait(driver, lambda d: next((t for t in texts(d, "#messages .home") if f"#{request}" in t and "Completed" in t), None),
                f"request #{request} completed among the developer's own requests")
    assert "Waiting for your decision" not in mine, f"a developer's Home tab offers decisions: {mine!r}"
    return f"request #{request} approved from the manager's Home tab; the developer's tab shows it completed"


def main():
    url, flow = sys.argv[1], sys.argv[2]
    screenshot = sys.argv[sys.argv.index("--screenshot") + 1] if "--screenshot" in sys.argv else None
    kind = sys.argv[sys.argv.index("--browser") + 1] if "--browser" in sys.argv else "chromium"
    driver = browser(kind)
    try:
        driver.set_page_load_timeout(30)
        driver.get(url + "/console")
        summary = {"approve": approve, "reject": reject, "home": home}[flow](driver)
        if screenshot:
            be(driver, MANAGER)
            click(driver, "#channels button", "the channel")
            wait(driver, lambda d: texts(d, "#messages .message"), "the channel")
            driver.save_screenshot(screenshot)
        print(f"PASS {flow} in {kind}: {summary}")
        return 0
    except AssertionError as failure:
        print(f"FAIL {flow} in {kind}: {failure}")
        print("page text:", driver.execute_script("return document.body.innerText")[:3000])
        return 1
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main())
