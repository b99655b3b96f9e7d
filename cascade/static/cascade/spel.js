/* The live 1-2-3 session: the consultant's console, the big screen and the phone view.
 *
 * Built on static/js/live-room.js, loaded before this file: its reducer (the port of
 * live/state.py), its connection (resync, reconnect, actions kept until acknowledged)
 * and the generic parts of its room view (head, presence, toasts, forms, dot votes,
 * commitments and actions). What is particular to the session is here: who has guessed,
 * the phone's guess, the reveal (inside-out against outside-in, with the scores the
 * server computed), quote cards and proposals.
 *
 * The page's strict CSP allows no inline script or style: positions are set through
 * element.style (CSSOM). Every user-visible string comes from config.labels; people's
 * words only ever reach the page through textContent.
 */
(function (root) {
  "use strict";

  const LiveRoom = root.LiveRoom;
  if (!LiveRoom || !LiveRoom.Room) return;
  const Room = LiveRoom.Room;
  const dom = LiveRoom.dom;
  const h = dom.h;
  const firstName = dom.firstName;
  const byId = dom.byId;

  const hasOwn = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);
  const MINUS = "\u2212";

  function signed(n) {
    if (n === null || n === undefined) return "–";
    return n > 0 ? "+" + n : n < 0 ? MINUS + Math.abs(n) : "0";
  }

  function percent(n) {
    return n === null || n === undefined ? "–" : n + "%";
  }

  function mean(values) {
    return values.length ? Math.round(values.reduce((a, b) => a + b, 0) / values.length) : null;
  }

  function Spel(config, element) {
    Room.call(this, config, element);
    this.guessDirty = false;  // the phone's guess was changed and not yet sent
  }
  Spel.prototype = Object.create(Room.prototype);
  Spel.prototype.constructor = Spel;

  // Rendering --------------------------------------------------------------------------------

  Spel.prototype.render = function () {
    const s = this.conn.state;
    this.el.dataset.state = this.conn.ended ? "ended" : this.conn.status;
    this.renderConnection();
    if (!s) return;
    this.el.dataset.phase = s.phase || "";
    this.el.dataset.closed = s.closed ? "true" : "false";
    this.el.dataset.revealed = s.reveal ? "true" : "false";
    // A step without a timer shows none (rather than 00:00), until one is started.
    this.el.dataset.timer = s.timer.running || s.timer.remaining_ms > 0 ? "on" : "none";
    this.el.dataset.role = this.role();
    this.renderVisibility();
    this.renderHead();
    this.renderBanner();
    this.renderPresence();
    this.renderGuessing();
    this.renderReveal();
    this.renderQuotes();
    this.renderProposals();
    this.renderRound3();  // the room's: commitments and agreed actions
    if (this.view === "console") this.renderConsole();  // phase buttons, timer, owner selects
    if (this.view === "phone") {
      this.renderPhone();  // the room's dot votes
      this.renderGuessForm();
    }
    this.tick();
  };

  /** The room's data-can/data-phases/data-roles, and data-when-revealed="yes|no". */
  Spel.prototype.renderVisibility = function () {
    Room.prototype.renderVisibility.call(this);
    const s = this.conn.state;
    const revealed = Boolean(s.reveal);
    for (const el of this.$$("[data-when-revealed]")) {
      const ok = (el.dataset.whenRevealed === "yes") === revealed;
      const ruled = el.matches("[data-can], [data-phases], [data-roles], [data-open]");
      el.hidden = ruled ? el.hidden || !ok : !ok;
    }
    const reveal = this.$("[data-post=reveal]");
    if (reveal) reveal.hidden = revealed || s.closed || this.role() !== "facilitator";
  };

  Spel.prototype.personName = function (actor) {
    if (actor && actor === this.me()) return this.t("you");
    return this.nameOf(actor) || "?";
  };

  // Guessing ---------------------------------------------------------------------------------

  Spel.prototype.renderGuessing = function () {
    const s = this.conn.state;
    const guesses = s.guesses || {};
    const people = this.config.participants || [];
    const count = Object.keys(guesses).length;
    const total = Math.max(people.length, count);
    this.bind("guessed-count", this.t("guessed", {count: count, total: total}));
    if (this.view === "phone") return;
    const items = people.map((p) => {
      const done = hasOwn(guesses, p.actor);
      return h("li", {class: "guesser" + (done ? " done" : ""), "data-testid": "guesser",
                      "data-done": done ? "true" : "false"},
        h("span", {class: "guesser-mark", "aria-hidden": "true"}, done ? "✓" : "…"),
        h("span", {class: "guesser-name"}, p.name),
        h("span", {class: "guesser-state"}, this.t(done ? "has_guessed" : "not_guessed")));
    });
    this.region("guessers", items.length ? h("ul", {class: "guesser-list"}, items)
      : h("p", {class: "muted empty"}, this.t("no_guesses")));
  };

  Spel.prototype.fillChoices = function (select, choices) {
    if (!select) return;
    const signature = choices.map((c) => c.key).join("|");
    if (select.dataset.signature !== signature) {
      const value = select.value;
      select.replaceChildren(h("option", {value: ""}, this.t("choose")),
        ...choices.map((c) => h("option", {value: c.key}, c.label)));
      select.value = value;
      select.dataset.signature = signature;
    }
    select.required = choices.length > 0;
  };

  Spel.prototype.showGuessValues = function (form) {
    for (const output of form.querySelectorAll("output[data-shows]")) {
      const value = Number(form.elements.namedItem(output.dataset.shows).value);
      output.textContent = output.dataset.shows === "nps" ? signed(value) : percent(value);
    }
  };

  Spel.prototype.renderGuessForm = function () {
    const s = this.conn.state;
    const form = this.$("[data-form=guess]");
    if (!form) return;
    this.fillChoices(form.elements.namedItem("driver"), s.choices.drivers);
    this.fillChoices(form.elements.namedItem("theme"), s.choices.themes);
    for (const field of this.$$("[data-needs-choices]")) {
      field.hidden = !(s.choices[field.dataset.needsChoices] || []).length;
    }
    const mine = (s.guesses || {})[this.me()];
    const active = document.activeElement;
    if (mine && mine.nps !== null && !this.guessDirty && !(active && form.contains(active))) {
      for (const key of ["nps", "promoters", "driver", "theme"]) {
        const field = form.elements.namedItem(key);
        if (field && mine[key] !== null) field.value = String(mine[key]);
      }
    }
    this.showGuessValues(form);
    this.region("my-guess", mine ? this.t("your_guess_sent") : null);
  };

  // The reveal -------------------------------------------------------------------------------

  Spel.prototype.choiceLabel = function (kind, key) {
    const found = (this.conn.state.choices[kind] || []).find((c) => c.key === key);
    return found ? found.label : key;
  };

  Spel.prototype.strip = function (values, actual, min, max, format) {
    const place = (v) => (100 * (Math.min(max, Math.max(min, v)) - min) / (max - min)) + "%";
    const track = h("div", {class: "strip-track"});
    for (const v of values) {
      const dot = h("span", {class: "strip-dot"});
      dot.style.left = place(v);  // CSSOM, allowed by the CSP
      track.append(dot);
    }
    if (actual !== null) {
      const mark = h("span", {class: "strip-actual"});
      mark.style.left = place(actual);
      track.append(mark);
    }
    return h("div", {class: "strip", "aria-hidden": "true"}, track,
             h("div", {class: "strip-scale"}, h("span", null, format(min)), h("span", null, format(max))));
  };

  Spel.prototype.yourLine = function (key, format) {
    const s = this.conn.state;
    const me = this.me();
    const mine = s.guesses[me];
    const score = s.reveal.scores[me];
    if (!mine || !score) return null;
    const value = key === "driver" || key === "theme"
      ? (mine[key] === null ? "–" : this.choiceLabel(key + "s", mine[key])) : format(mine[key]);
    return h("p", {class: "figure-you", "data-testid": "you-" + key},
             this.t("your_guess", {guess: value}), " · ", this.t("points", {points: score[key]}));
  };

  Spel.prototype.numberFigure = function (key, guesses, min, max, format) {
    const actual = this.conn.state.reveal.actual[key];
    const values = guesses.map((g) => g[key]).filter((v) => typeof v === "number");
    const average = mean(values);
    const note = values.length
      ? [this.t("average", {count: values.length}), " · ",
         this.t("range", {low: format(Math.min(...values)), high: format(Math.max(...values))})]
      : this.t("no_guesses");
    return h("section", {class: "figure", "data-testid": "figure-" + key},
      h("h3", {class: "figure-title"}, this.t(key)),
      h("div", {class: "figure-pair"},
        h("div", {class: "figure-side figure-guess"},
          h("p", {class: "figure-label"}, this.t("we_guess")),
          h("p", {class: "figure-value", "data-testid": "guess-" + key}, average === null ? "–" : format(average)),
          h("p", {class: "figure-note"}, note)),
        h("div", {class: "figure-side figure-actual"},
          h("p", {class: "figure-label"}, this.t("customer_says")),
          h("p", {class: "figure-value", "data-testid": "actual-" + key}, actual === null ? "–" : format(actual)),
          actual === null ? h("p", {class: "figure-note"}, this.t("no_answer")) : null)),
      this.strip(values, actual, min, max, format),
      this.view === "phone" ? this.yourLine(key, format) : null);
  };

  Spel.prototype.choiceFigure = function (key, guesses) {
    const kind = key + "s";
    const actual = this.conn.state.reveal.actual[key];
    const tally = {};
    for (const g of guesses) {
      if (g[key] !== null) tally[g[key]] = (tally[g[key]] || 0) + 1;
    }
    const ranked = Object.keys(tally).sort((a, b) => (tally[b] - tally[a]) || (a < b ? -1 : 1));
    const guessed = guesses.filter((g) => g[key] !== null).length;
    const right = actual === null ? 0 : tally[actual] || 0;
    return h("section", {class: "figure figure-choice", "data-testid": "figure-" + key},
      h("h3", {class: "figure-title"}, this.t(key)),
      h("div", {class: "figure-pair"},
        h("div", {class: "figure-side figure-guess"},
          h("p", {class: "figure-label"}, this.t("we_guess")),
          ranked.length ? h("ol", {class: "choice-tally"}, ranked.slice(0, 3).map((k) => h("li",
            {class: k === actual ? "right" : null},
            h("span", {class: "choice-name"}, this.choiceLabel(kind, k)),
            h("span", {class: "choice-count"}, "× " + tally[k]))))
            : h("p", {class: "figure-note"}, this.t("no_guesses"))),
        h("div", {class: "figure-side figure-actual"},
          h("p", {class: "figure-label"}, this.t("customer_says")),
          h("p", {class: "figure-value figure-text", "data-testid": "actual-" + key},
            actual === null ? "–" : this.choiceLabel(kind, actual)),
          h("p", {class: "figure-note"}, actual === null ? this.t("no_answer")
            : this.t("guessed_right", {count: right, total: guessed})))),
      this.view === "phone" ? this.yourLine(key, String) : null);
  };

  Spel.prototype.winnersNode = function () {
    const reveal = this.conn.state.reveal;
    if (!reveal.winners.length) return null;
    const names = reveal.winners.map((actor) => (this.nameOf(actor) || "?")
      + (actor === this.me() ? " (" + this.t("you") + ")" : ""));
    const joined = names.length > 1
      ? names.slice(0, -1).join(", ") + " " + this.t("and") + " " + names[names.length - 1] : names[0];
    const points = reveal.scores[reveal.winners[0]].total;
    return h("p", {class: "winner", "data-testid": "winner"},
             h("span", {class: "winner-label"}, this.t("closest")),
             h("span", {class: "winner-names"}, this.t("winner", {names: joined, points: points})));
  };

  Spel.prototype.renderReveal = function () {
    const s = this.conn.state;
    if (!s.reveal) {
      this.region("reveal", null);
      this.region("scores", null);
      this.region("my-result", null);
      return;
    }
    const guesses = Object.values(s.guesses).filter((g) => !g.hidden);
    const actual = s.reveal.actual;
    const npsGuess = mean(guesses.map((g) => g.nps).filter((v) => typeof v === "number"));
    const parts = [];
    if (npsGuess !== null && actual.nps !== null) {
      parts.push(h("p", {class: "headline", "data-testid": "headline"},
                   this.t("headline", {guess: signed(npsGuess), actual: signed(actual.nps)})));
    }
    if (this.view === "phone" && s.reveal.scores[this.me()]) {
      parts.push(h("p", {class: "your-score", "data-testid": "your-score"},
                   this.t("your_score", {points: s.reveal.scores[this.me()].total})));
    }
    parts.push(this.winnersNode());
    parts.push(h("div", {class: "figures"},
      this.numberFigure("nps", guesses, -100, 100, signed),
      this.numberFigure("promoters", guesses, 0, 100, percent),
      this.choiceFigure("driver", guesses),
      this.choiceFigure("theme", guesses)));
    if (actual.responses) parts.push(h("p", {class: "muted small"}, this.t("responses", {count: actual.responses})));
    this.region(this.view === "phone" ? "my-result" : "reveal", parts);

    if (this.view === "console") {
      const rows = Object.keys(s.reveal.scores).map((actor) => [actor, s.reveal.scores[actor]])
        .sort((a, b) => (b[1].total - a[1].total) || (a[0] < b[0] ? -1 : 1));
      this.region("scores", rows.length ? h("ol", {class: "score-list"}, rows.map(([actor, score]) =>
        h("li", {class: s.reveal.winners.includes(actor) ? "winning" : null, "data-testid": "score"},
          h("span", {class: "score-name"}, this.personName(actor)),
          h("span", {class: "score-total"}, this.t("points", {points: score.total})))))
        : h("p", {class: "muted empty"}, this.t("no_guesses")));
    }
  };

  // Quote cards ------------------------------------------------------------------------------

  Spel.prototype.renderQuotes = function () {
    const s = this.conn.state;
    const current = s.current_quote ? s.quotes[s.current_quote] : null;
    if (this.view !== "console") {
      this.region("quote", current
        ? h("figure", {class: "quote-card big", "data-testid": "current-quote"},
            h("blockquote", {class: "quote-text"}, current.text),
            current.unit ? h("figcaption", {class: "quote-unit"}, current.unit) : null)
        : h("p", {class: "muted empty"}, this.t("no_quote_yet")));
      return;
    }
    const cards = this.config.quotes || [];
    const shown = new Set(Object.values(s.quotes).map((q) => q.text));
    const can = this.can("quote_show");
    const show = (card) => this.act("quote_show", {text: card.text, unit: card.unit});
    const next = cards.find((card) => !shown.has(card.text));
    const items = cards.map((card, index) => {
      const isCurrent = current && current.text === card.text;
      return h("li", {class: "quote-card" + (isCurrent ? " current" : "") + (shown.has(card.text) ? " shown" : ""),
                      "data-testid": "quote-card"},
        h("blockquote", {class: "quote-text"}, card.text),
        h("p", {class: "quote-meta muted"}, card.unit || "",
          card.score !== null && card.score !== undefined ? [" · ", this.t("score_label", {score: card.score})] : null,
          shown.has(card.text) ? [" · ", this.t("shown")] : null),
        can ? h("button", {type: "button", class: "button small secondary", "data-key": "quote-" + index,
                           "data-testid": "quote-show", onclick: () => show(card)}, this.t("show")) : null);
    });
    this.region("quote-cards", cards.length ? [
      can && next ? h("p", {class: "button-row"}, h("button", {type: "button", class: "button", "data-key": "quote-next",
        "data-testid": "quote-next", onclick: () => show(next)}, this.t("show_next"))) : null,
      cards[0].voice ? null : h("p", {class: "help"}, this.t("not_marked")),
      h("ol", {class: "quote-list"}, items)]
      : h("p", {class: "muted empty"}, this.t("no_quotes")));
  };

  // Proposals --------------------------------------------------------------------------------

  Spel.prototype.renderProposals = function () {
    const s = this.conn.state;
    const groups = Object.values(s.groups);
    const max = Math.max(1, ...groups.map((g) => this.tally(g.id)));
    const ranked = groups.slice().sort((a, b) => (this.tally(b.id) - this.tally(a.id)) || byId(a, b));
    if (this.view === "screen") {
      this.region("proposals", ranked.length ? h("ol", {class: "bar-list"}, ranked.map((g) => this.groupBar(g, max, true)))
        : h("p", {class: "screen-empty"}, this.t("no_groups")));
      return;
    }
    if (this.view !== "console") return;  // the phone lists them with its dot votes
    this.renderRoutePoints();
    const items = ranked.map((g) => h("li", {class: "proposal", "data-testid": "proposal"},
      h("p", {class: "proposal-title"}, g.title),
      h("p", {class: "proposal-meta muted"}, g.by === this.me() ? this.t("proposed_by_you")
        : this.t("proposed_by", {name: firstName(this.personName(g.by))})),
      this.groupBar(g, max, false)));
    this.region("proposals", items.length ? h("ol", {class: "proposal-list"}, items)
      : h("p", {class: "muted empty"}, this.t("no_groups")));
  };

  /** The improvement route's points (below the strategic session), to put on the table. */
  Spel.prototype.renderRoutePoints = function () {
    const s = this.conn.state;
    const route = s.choices.route || [];
    const tabled = new Set(Object.values(s.groups).map((g) => g.point).filter((p) => p));
    const can = this.can("group_create");
    this.region("route-points", route.length ? [
      h("h3", {}, this.t("route_points")),
      h("p", {class: "help"}, this.t("route_points_help")),
      h("ul", {class: "route-point-list"}, route.map((point) => h("li", {"data-testid": "route-point"},
        h("span", {class: "route-point-title"}, point.label), " ",
        tabled.has(point.key) ? h("span", {class: "muted"}, "(" + this.t("on_table") + ")")
          : can ? h("button", {type: "button", class: "button small secondary", "data-key": "route-" + point.key,
                               "data-testid": "route-point-table",
                               onclick: () => this.act("group_create", {title: point.label, statements: [],
                                                                        point: point.key})},
                    this.t("put_on_table")) : null)))] : null);
  };

  // Forms ------------------------------------------------------------------------------------

  Spel.prototype.bindForms = function () {
    Room.prototype.bindForms.call(this);
    this.el.addEventListener("input", (event) => {
      const form = event.target.form;
      if (form && form.dataset.form === "guess") {
        this.guessDirty = true;
        this.showGuessValues(form);
      }
    });
    this.el.addEventListener("submit", (event) => {
      const form = event.target;
      if (form.dataset.post !== "reveal") return;
      event.preventDefault();
      this.reveal(form);
    });
  };

  Spel.prototype.submit = function (name, form) {
    const data = new FormData(form);
    if (name === "guess") {
      const payload = {nps: Number(data.get("nps")), promoters: Number(data.get("promoters"))};
      for (const key of ["driver", "theme"]) {
        const value = (data.get(key) || "").toString();
        if (value) payload[key] = value;
      }
      this.act("guess_submit", payload).then((result) => {
        if (result.ok) this.guessDirty = false;
        this.queueRender();
      });
      return;
    }
    if (name === "proposal") {
      const field = form.elements.namedItem("title");
      const title = field.value.trim();
      if (!title) return this.toast(this.t("refused.required"), "refused", "invalid");
      this.act("group_create", {title: title, statements: []}, () => {
        if (!field.value) field.value = title;
      });
      field.value = "";
      return;
    }
    Room.prototype.submit.call(this, name, form);
  };

  /** Ask the server to reveal (a POST to the session's reveal view); the room's event follows. */
  Spel.prototype.reveal = function (form) {
    const button = form.querySelector("button");
    if (button) button.disabled = true;
    const failed = () => this.toast(this.t("refused.reveal_failed"), "refused", "reveal");
    root.fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                             headers: {Accept: "application/json"}})
      .then((response) => response.json().catch(() => ({ok: false})).then((body) => {
        if (!response.ok || !body.ok) failed();
      }))
      .catch(failed)
      .finally(() => {
        if (button) button.disabled = false;
      });
  };

  Spel.prototype.onRefused = function (item, result) {
    const reason = String(result.reason || "");
    const known = [["have been revealed", "refused.revealed"], ["whole number", "refused.range"]];
    const match = result.code === "invalid" ? known.find((pair) => reason.includes(pair[0])) : null;
    if (!match) return Room.prototype.onRefused.call(this, item, result);
    this.toast(this.t(match[1]), "refused", result.code);
    if (item.onRefused) item.onRefused();
  };

  // Start ------------------------------------------------------------------------------------

  function boot() {
    const source = document.getElementById("room-config");
    const element = document.getElementById("spel-room");
    if (!source || !element) return;
    new Spel(JSON.parse(source.textContent), element).start();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})(window);
