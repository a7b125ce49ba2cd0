/// The console's page: plain HTML, its script and style served beside it by QueryGate (no build step, nothing
/// fetched from elsewhere).
enum ConsolePage {
    static let html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>QueryGate console</title>
        <link rel="stylesheet" href="/console/console.css">
        <script src="/console/console.js" defer></script>
        </head>
        <body>
        <aside id="sidebar">
          <h1>QueryGate demo</h1>
          <label for="person">You are</label>
          <select id="person"></select>
          <h2>Channels</h2>
          <ul id="channels"></ul>
          <h2>Direct messages</h2>
          <ul id="directs"></ul>
          <h2>Apps</h2>
          <ul id="apps"><li><button type="button" data-conversation="home" id="home-tab">QueryGate: Home</button></li></ul>
          <p class="note">A local stand-in for Slack: messages are QueryGate's real ones, sent through its Web API client to this demo.</p>
        </aside>
        <main>
          <header id="conversation-name"></header>
          <section id="messages" aria-live="polite"></section>
          <section id="refusals"></section>
          <form id="composer-form">
            <input id="composer" autocomplete="off" placeholder="/query help">
            <button type="submit" id="send">Send</button>
          </form>
          <p id="composer-error" class="error"></p>
        </main>
        <div id="modal-backdrop" hidden>
          <form id="modal">
            <header id="modal-title"></header>
            <div id="modal-blocks"></div>
            <footer>
              <button type="button" id="modal-close">Cancel</button>
              <button type="submit" id="modal-submit">Submit</button>
            </footer>
          </form>
        </div>
        </body>
        </html>
        """
}
