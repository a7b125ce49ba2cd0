extension ConsolePage {
    /// Polls `/console/state` every second and draws what changed; renders Block Kit as Slack does for the block
    /// types QueryGate sends; sends what the person does to the console's POST routes.
    static let script = #"""
        "use strict";
        const view = { me: localStorage.getItem("qg.me"), conversation: localStorage.getItem("qg.conversation"), state: null, drawn: "", modal: "" };
        const $ = (id) => document.getElementById(id);

        function escapeHTML(text) {
          return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
        }

        function personName(id) {
          const person = (view.state?.people || []).find((p) => p.id === id);
          return person ? person.name : id;
        }

        function channelName(id) {
          const channel = (view.state?.channels || []).find((c) => c.id === id);
          return channel ? channel.name.replace(/^#/, "") : id;
        }

        /// Slack's mrkdwn: code blocks, inline code, bold, italics, strike, links and user mentions.
        function mrkdwn(text) {
          const pieces = escapeHTML(text).split("```");
          return pieces.map((piece, index) => {
            if (index % 2 === 1) return "<pre>" + piece.replace(/^\n/, "") + "</pre>";
            return piece
              .replace(/`([^`\n]+)`/g, "<code>$1</code>")
              .replace(/&lt;!date\^(\d+)\^[^|]*\|[^&]*&gt;/g, (_, seconds) => escapeHTML(new Date(Number(seconds) * 1000).toLocaleString()))
              .replace(/&lt;@(U[A-Z0-9]+)&gt;/g, (_, id) => "<b>@" + escapeHTML(personName(id)) + "</b>")
              .replace(/&lt;#([CDG][A-Z0-9]+)(?:\|[^&]*)?&gt;/g, (_, id) => "<b>#" + escapeHTML(channelName(id)) + "</b>")
              .replace(/&lt;((?:https?:\/\/|\/)[^|&]*?)\|([^&]*?)&gt;/g, '<a href="$1">$2</a>')
              .replace(/&lt;((?:https?:\/\/|\/)[^|&]*?)&gt;/g, '<a href="$1">$1</a>')
              .replace(/(^|[\s(])\*([^*\n]+)\*/g, "$1<b>$2</b>")
              .replace(/(^|[\s(])_([^_\n]+)_/g, "$1<i>$2</i>")
              .replace(/(^|[\s(])~([^~\n]+)~/g, "$1<s>$2</s>")
              .replace(/\n/g, "<br>");
          }).join("");
        }

        function textObject(object) {
          if (!object) return "";
          return object.type === "mrkdwn" ? mrkdwn(object.text) : escapeHTML(object.text);
        }

        function button(element) {
          return `<button type="button" class="${escapeHTML(element.style || "")}" data-action-id="${escapeHTML(element.action_id)}"` +
            ` data-value="${escapeHTML(element.value || "")}">${escapeHTML(element.text?.text || "")}</button>`;
        }

        function cellText(cell) {
          if (cell == null) return "";
          if (typeof cell === "string") return cell;
          if (cell.type === "raw_text") return cell.text;
          if (cell.type === "rich_text") return (cell.elements || []).flatMap((e) => e.elements || []).map((e) => e.text || "").join("");
          return cell.text || "";
        }

        function table(block) {
          const settings = block.column_settings || [];
          const rows = (block.rows || []).map((row, r) => "<tr>" + row.map((cell, c) => {
            const right = settings[c]?.align === "right";
            const tag = r === 0 ? "th" : "td";
            return `<${tag} class="${right ? "number" : ""}">${escapeHTML(cellText(cell))}</${tag}>`;
          }).join("") + "</tr>");
          return `<table class="block-table">${rows.join("")}</table>`;
        }

        function richText(block) {
          return (block.elements || []).map((element) => {
            const text = (element.elements || []).map((e) => e.text || "").join("");
            return element.type === "rich_text_preformatted" ? `<pre>${escapeHTML(text)}</pre>` : `<div>${escapeHTML(text)}</div>`;
          }).join("");
        }

        function blocks(list) {
          return (list || []).map((block) => {
            switch (block.type) {
              case "header": return `<h3 class="header">${escapeHTML(block.text?.text || "")}</h3>`;
              case "section": {
                let html = block.text ? `<div class="section">${textObject(block.text)}</div>` : "";
                if (block.fields) html += `<div class="fields">${block.fields.map((f) => `<div>${textObject(f)}</div>`).join("")}</div>`;
                if (block.accessory?.type === "button") html += `<div class="accessory">${button(block.accessory)}</div>`;
                return html;
              }
              case "context": return `<div class="context">${(block.elements || []).map(textObject).join(" ")}</div>`;
              case "divider": return "<hr>";
              case "actions": return `<div class="actions" data-block-id="${escapeHTML(block.block_id || "")}">` +
                (block.elements || []).filter((e) => e.type === "button").map(button).join("") + "</div>";
              case "table": return table(block);
              case "rich_text": return richText(block);
              default: return `<div class="context">(a ${escapeHTML(block.type)} block)</div>`;
            }
          }).join("");
        }

        function messageHTML(message, conversation) {
          const files = (message.files || []).map((id) => {
            const file = view.state.files[id];
            if (!file) return "";
            return `<span class="file">📎 <a href="${escapeHTML(file.url)}" download="${escapeHTML(file.name)}">${escapeHTML(file.title || file.name)}</a>` +
              ` <small>${escapeHTML(file.name)}, ${file.size} bytes</small></span>`;
          }).join("");
          const body = message.blocks ? blocks(message.blocks) : `<div class="section">${mrkdwn(message.text)}</div>`;
          return `<div class="message" id="m-${escapeHTML(message.ts)}" data-ts="${escapeHTML(message.ts)}" data-channel="${escapeHTML(conversation.id)}">` +
            `<div class="meta"><span class="author">QueryGate</span>${message.edited ? "(edited)" : ""}</div>${body}${files}</div>`;
        }

        function currentConversation() {
          const state = view.state;
          if (view.conversation === state.direct.id || view.conversation === "home") return state.direct;
          return state.channels.find((c) => c.id === view.conversation) || state.channels[0] || state.direct;
        }

        function drawSidebar() {
          const state = view.state;
          const select = $("person");
          if (select.options.length !== state.people.length) {
            select.innerHTML = state.people.map((p) => `<option value="${escapeHTML(p.id)}">${escapeHTML(p.name)} (${escapeHTML(p.title)})</option>`).join("");
          }
          select.value = view.me;
          const conversation = view.conversation === "home" ? { id: "home" } : currentConversation();
          $("channels").innerHTML = state.channels.map((c) =>
            `<li><button type="button" data-conversation="${escapeHTML(c.id)}" class="${c.id === conversation.id ? "current" : ""}">${escapeHTML(c.name)}</button></li>`).join("");
          $("home-tab").className = view.conversation === "home" ? "current" : "";
          $("directs").innerHTML = `<li><button type="button" data-conversation="${escapeHTML(state.direct.id)}" class="${state.direct.id === conversation.id ? "current" : ""}">` +
            `QueryGate → ${escapeHTML(personName(view.me))} (${state.direct.messages.filter((m) => !m.thread_ts).length})</button></li>`;
        }

        /// The Home tab: the view QueryGate published for this person, with live buttons; no composer, as in Slack.
        function drawHome() {
          $("conversation-name").textContent = "QueryGate: Home";
          const home = view.state.home;
          $("messages").innerHTML = home ? `<div class="home" data-surface="home">${blocks(home.blocks)}</div>`
            : '<p class="context">Opening the Home tab… (QueryGate publishes it through its outbox)</p>';
          $("composer-form").hidden = true;
        }

        function drawMessages() {
          if (view.conversation === "home") return drawHome();
          $("composer-form").hidden = false;
          const conversation = currentConversation();
          $("conversation-name").textContent = conversation.name;
          const parents = conversation.messages.filter((m) => !m.thread_ts || m.thread_ts === m.ts);
          let html = parents.map((parent) => {
            const replies = conversation.messages.filter((m) => m.thread_ts === parent.ts && m.ts !== parent.ts);
            const thread = replies.length ? `<div class="thread">${replies.map((r) => messageHTML(r, conversation)).join("")}</div>` : "";
            return messageHTML(parent, conversation).replace(/<\/div>$/, thread + "</div>");
          }).join("");
          html += view.state.ephemerals.filter((e) => e.channel === conversation.id).map((e) =>
            `<div class="ephemeral" data-ts="${escapeHTML(e.ts)}" data-channel="${escapeHTML(conversation.id)}"><div class="meta"><span class="author">QueryGate</span></div>` +
            (e.blocks ? blocks(e.blocks) : `<div class="section">${mrkdwn(e.text)}</div>`) + "</div>").join("");
          const box = $("messages");
          const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 40;
          box.innerHTML = html || '<p class="context">Nothing here yet. Type <code>/query help</code> below.</p>';
          if (atBottom) box.scrollTop = box.scrollHeight;
          $("refusals").innerHTML = view.state.refusals.map((r) =>
            `<div class="error">Slack would refuse this: ${escapeHTML(r.method)} → ${escapeHTML(r.error)} ${escapeHTML(r.detail)}</div>`).join("");
        }

        function drawModal() {
          const modal = view.state.modal;
          const key = JSON.stringify(modal);
          if (key === view.modal) return;
          const sameView = modal && view.modalID === modal.id && view.modalView === JSON.stringify(modal.view);
          view.modal = key;
          $("modal-backdrop").hidden = !modal;
          if (!modal) { view.modalID = null; return; }
          if (!sameView) {
            view.modalID = modal.id;
            view.modalView = JSON.stringify(modal.view);
            $("modal-title").textContent = modal.view.title?.text || "";
            $("modal-submit").hidden = !modal.view.submit;
            $("modal-submit").textContent = modal.view.submit?.text || "Submit";
            $("modal-close").textContent = modal.view.close?.text || "Cancel";
            $("modal-blocks").innerHTML = (modal.view.blocks || []).map(inputBlock).join("");
            for (const select of document.querySelectorAll("#modal select[data-external]")) suggest(select, "");
          }
          for (const block of document.querySelectorAll("#modal [data-block-error]")) {
            block.textContent = modal.errors[block.dataset.blockError] || "";
          }
        }

        function inputBlock(block) {
          if (block.type !== "input") return blocks([block]);
          const element = block.element || {};
          const ids = `data-block-id="${escapeHTML(block.block_id)}" data-action-id="${escapeHTML(element.action_id)}" data-type="${escapeHTML(element.type)}"`;
          const id = `field-${escapeHTML(block.block_id)}`;
          let control;
          if (element.type === "plain_text_input") {
            const placeholder = escapeHTML(element.placeholder?.text || "");
            control = element.multiline ? `<textarea id="${id}" ${ids} placeholder="${placeholder}"></textarea>` : `<input id="${id}" ${ids} placeholder="${placeholder}">`;
          } else if (element.type === "static_select") {
            control = `<select id="${id}" ${ids}>` + (element.options || []).map((o) =>
              `<option value="${escapeHTML(o.value)}" ${element.initial_option?.value === o.value ? "selected" : ""}>${escapeHTML(o.text.text)}</option>`).join("") + "</select>";
          } else if (element.type === "external_select") {
            control = `<input type="search" class="filter" data-filter-for="${id}" placeholder="${escapeHTML(element.placeholder?.text || "Search")}">` +
              `<select id="${id}" ${ids} data-external="1"></select>`;
          } else {
            control = `<p class="context">(a ${escapeHTML(element.type)} field)</p>`;
          }
          return `<label for="${id}">${escapeHTML(block.label?.text || "")}</label>${control}<p class="error" data-block-error="${escapeHTML(block.block_id)}"></p>`;
        }

        async function post(path, body) {
          const response = await fetch("/console/" + path, { method: "POST", headers: { "content-type": "application/json" },
            body: JSON.stringify(Object.assign({ as: view.me }, body)) });
          const answer = await response.json().catch(() => ({ ok: false, error: "HTTP " + response.status }));
          if (answer.ok === false) throw new Error(answer.error);
          return answer;
        }

        async function suggest(select, typed) {
          try {
            const answer = await post("suggest", { action_id: select.dataset.actionId, block_id: select.dataset.blockId, value: typed });
            select.innerHTML = '<option value="">Pick one…</option>' +
              (answer.options || []).map((o) => `<option value="${escapeHTML(o.value)}">${escapeHTML(o.text.text)}</option>`).join("");
          } catch (error) { $("composer-error").textContent = error.message; }
        }

        function modalValues() {
          const values = {};
          for (const field of document.querySelectorAll("#modal [data-block-id]")) {
            const block = (values[field.dataset.blockId] ||= {});
            const type = field.dataset.type;
            if (type === "plain_text_input") block[field.dataset.actionId] = { type, value: field.value };
            else block[field.dataset.actionId] = { type, selected_option: field.value ? { value: field.value } : null };
          }
          return values;
        }

        async function refresh() {
          if (!view.me) return;
          try {
            const response = await fetch("/console/state?as=" + encodeURIComponent(view.me));
            const state = await response.json();
            view.state = state;
            if (!state.people.some((p) => p.id === view.me)) { view.me = state.people[0]?.id; return refresh(); }
            const key = JSON.stringify([view.me, view.conversation, state.channels, state.direct, state.ephemerals, state.files, state.refusals, state.home]);
            drawSidebar();
            if (key !== view.drawn) { view.drawn = key; drawMessages(); }
            drawModal();
          } catch (error) { $("composer-error").textContent = "The demo does not answer: " + error.message; }
        }

        function start() {
          $("person").addEventListener("change", (event) => {
            view.me = event.target.value; localStorage.setItem("qg.me", view.me); view.drawn = ""; view.modal = "";
            if (view.conversation === "home") post("home", {}).catch(() => {});
            refresh();
          });
          document.body.addEventListener("click", async (event) => {
            const target = event.target.closest("button");
            if (!target) return;
            if (target.dataset.conversation) {
              view.conversation = target.dataset.conversation; localStorage.setItem("qg.conversation", view.conversation); view.drawn = "";
              // Opening the Home tab is an event QueryGate answers by publishing it, as in Slack.
              if (view.conversation === "home") await post("home", {}).catch((error) => { $("composer-error").textContent = error.message; });
              refresh(); return;
            }
            if (target.dataset.actionId && !target.closest("#modal")) {
              const message = target.closest("[data-ts]");
              const surface = target.closest("[data-surface]")?.dataset.surface;
              try {
                await post("click", { action_id: target.dataset.actionId, value: target.dataset.value, ts: message?.dataset.ts,
                  channel: message?.dataset.channel, surface, block_id: target.closest("[data-block-id]")?.dataset.blockId });
                $("composer-error").textContent = "";
              } catch (error) { $("composer-error").textContent = error.message; }
              refresh();
            }
          });
          $("composer-form").addEventListener("submit", async (event) => {
            event.preventDefault();
            const text = $("composer").value.trim();
            if (!text.startsWith("/query")) { $("composer-error").textContent = "Only /query is a command here, as in Slack with QueryGate installed."; return; }
            try {
              await post("command", { text: text.replace(/^\/query\s*/, ""), channel: currentConversation().id });
              $("composer").value = ""; $("composer-error").textContent = "";
            } catch (error) { $("composer-error").textContent = error.message; }
            refresh();
          });
          $("modal").addEventListener("submit", async (event) => {
            event.preventDefault();
            try { await post("submit", { values: modalValues() }); } catch (error) { $("composer-error").textContent = error.message; }
            refresh();
          });
          $("modal").addEventListener("input", (event) => {
            const filter = event.target.dataset.filterFor;
            if (filter) suggest($(filter), event.target.value);
          });
          $("modal-close").addEventListener("click", async () => { await post("close", {}).catch(() => {}); refresh(); });
          fetch("/console/state?as=").then((r) => r.json()).then((state) => {
            view.me = state.people.some((p) => p.id === view.me) ? view.me : state.people[0]?.id;
            if (view.conversation === "home") post("home", {}).catch(() => {});
            refresh();
            setInterval(refresh, 1000);
          });
        }
        start();
        """#
}
