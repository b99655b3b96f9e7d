/* The live room client: the klantarena's console, presenter screen and phone view.
 *
 * Three parts, no framework and no build step:
 *   1. the reducer, a line-by-line port of live/state.py (`apply`), so that the page
 *      holds exactly the state the server derives from the same events;
 *   2. the connection: hello with the last sequence seen, resync, reconnect with
 *      backoff, actions kept until acknowledged (re-sent with the same client key),
 *      and the clock offset from `server_time`;
 *   3. the three views, rendered from that state.
 *
 * The page's strict CSP allows no inline script or style: this file is loaded from
 * /static/, styles come from classes (or element.style, which CSP allows). Every
 * user-visible string comes from config.labels (translated on the server); people's
 * words are only ever put in the page with textContent.
 *
 * Loaded without a #room-config element (as the reducer tests do) it only defines
 * window.LiveRoom.{initial, apply, derive}. The 1-2-3 session's page (cascade/spel.js)
 * builds its own views on LiveRoom.Room; this file boots only the arena's #live-room.
 */
(function (root) {
  "use strict";

  // 1. The reducer (live/state.py) -------------------------------------------------------

  const hasOwn = (obj, key) => Object.prototype.hasOwnProperty.call(obj, key);

  // dict.get(key, fallback) for a payload or an item, with a literal key.
  function get(obj, key, fallback) {
    return obj !== null && typeof obj === "object" && hasOwn(obj, key) ? obj[key] : fallback;
  }

  // collection.get(id) where the collection's keys are strings: a number or null never
  // matches in Python, so it must not here either (JavaScript would turn 5 into "5").
  function lookup(collection, id) {
    return typeof id === "string" && hasOwn(collection, id) ? collection[id] : undefined;
  }

  const actorOf = (e) => get(e, "actor", null);

  function initial() {
    return {
      seq: 0, format: null, title: "", plan: {phases: [], vote_budget: 0},
      phase: null, phase_index: 0, facilitator: null, locked: false, closed: false,
      timer: {running: false, ends_at: null, remaining_ms: 0},
      statements: {}, notes: {}, questions: {}, current_question: null,
      groups: {}, votes: {}, evaluations: {}, commitments: {}, actions: {},
      choices: {drivers: [], themes: [], route: []}, guesses: {}, reveal: null,
      quotes: {}, current_quote: null,
    };
  }

  function timerReset(s, index) {
    const phases = s.plan.phases;
    const seconds = index >= 0 && index < phases.length ? phases[index].timer : null;
    return {running: false, ends_at: null, remaining_ms: (seconds || 0) * 1000};
  }

  function targetIndex(s, type) {
    const step = type === "phase_next" ? 1 : -1;
    const last = s.plan.phases.length - 1;
    return Math.max(0, Math.min(last, s.phase_index + step));
  }

  function withItem(s, key, id, item) {
    const copy = Object.assign({}, s[key]);
    copy[id] = item;
    return copy;
  }

  function roomCreated(s, e) {
    const p = e.payload;
    s.format = p.plan.format;
    s.title = get(p, "title", "");
    s.plan = {phases: p.plan.phases, vote_budget: p.plan.vote_budget};
    s.phase_index = 0;
    s.phase = s.plan.phases.length ? s.plan.phases[0].key : null;
    s.facilitator = get(p, "facilitator", null);
    s.timer = timerReset(s, 0);
  }

  function phaseMove(s, e) {
    const index = targetIndex(s, e.type);
    s.phase_index = index;
    s.phase = s.plan.phases[index].key;
    s.timer = timerReset(s, index);
    if (get(s.plan.phases[index], "reveals", null)) {
      const questions = Object.assign({}, s.questions);
      // A client that never saw the hidden questions receives them with the event.
      for (const q of get(e.payload, "revealed", [])) questions[q.id] = Object.assign({}, q);
      for (const qid of Object.keys(questions)) {
        if (questions[qid].hidden) questions[qid] = Object.assign({}, questions[qid], {hidden: false});
      }
      s.questions = questions;
    }
  }

  function timerStart(s, e) {
    const ms = e.payload.seconds * 1000;
    s.timer = {running: true, ends_at: e.at + ms, remaining_ms: ms};
  }

  function timerStop(s, e) {
    const timer = s.timer;
    if (timer.running) {
      s.timer = {running: false, ends_at: null, remaining_ms: Math.max(0, timer.ends_at - e.at)};
    }
  }

  function statementAdd(s, e) {
    const p = e.payload;
    const sid = String(e.seq);
    s.statements = withItem(s, "statements", sid, {
      id: sid, text: p.text, by: actorOf(e), customer: get(p, "customer", null),
      kind: get(p, "kind", "experience"), sentiment: get(p, "sentiment", ""),
      theme: get(p, "theme", ""), question: get(p, "question", null), phase: s.phase,
      group: null, at: e.at,
    });
  }

  function textItem(key) {
    return function (s, e) {
      const iid = String(e.seq);
      s[key] = withItem(s, key, iid, {id: iid, text: e.payload.text, by: actorOf(e),
                                      phase: s.phase, at: e.at});
    };
  }

  function questionAdd(prepared) {
    return function (s, e) {
      const qid = String(e.seq);
      s.questions = withItem(s, "questions", qid, {
        id: qid, text: e.payload.text, by: actorOf(e), phase: s.phase, prepared: prepared,
        hidden: prepared, status: "queued", upvotes: [], at: e.at,
      });
    };
  }

  function questionUpvote(s, e) {
    const q = lookup(s.questions, e.payload.question);
    const actor = actorOf(e);
    if (q !== undefined && !q.upvotes.includes(actor)) {
      const upvotes = q.upvotes.concat([actor]).sort();
      s.questions = withItem(s, "questions", q.id, Object.assign({}, q, {upvotes: upvotes}));
    }
  }

  function questionPick(s, e) {
    const q = lookup(s.questions, e.payload.question);
    if (q === undefined) return;
    const questions = Object.assign({}, s.questions);
    const previous = s.current_question;
    if (lookup(questions, previous) !== undefined) {
      questions[previous] = Object.assign({}, questions[previous], {status: "answered"});
    }
    questions[q.id] = Object.assign({}, q, {status: "current"});
    s.questions = questions;
    s.current_question = q.id;
  }

  function moveStatements(s, statementIds, groupId) {
    const statements = Object.assign({}, s.statements);
    const groups = Object.assign({}, s.groups);
    for (const sid of statementIds) {
      const st = lookup(statements, sid);
      if (st === undefined) continue;
      const old = st.group;
      if (lookup(groups, old) !== undefined) {
        groups[old] = Object.assign({}, groups[old],
                                    {statements: groups[old].statements.filter((x) => x !== sid)});
      }
      const target = lookup(groups, groupId) !== undefined;
      if (target) {
        groups[groupId] = Object.assign({}, groups[groupId],
                                        {statements: groups[groupId].statements.concat([sid])});
      }
      statements[sid] = Object.assign({}, st, {group: target ? groupId : null});
    }
    s.statements = statements;
    s.groups = groups;
  }

  function groupCreate(s, e) {
    const gid = String(e.seq);
    s.groups = withItem(s, "groups", gid, {id: gid, title: e.payload.title, statements: [],
                                           owner: null, by: actorOf(e),
                                           point: get(e.payload, "point", null)});
    moveStatements(s, get(e.payload, "statements", []), gid);
  }

  function statementGroup(s, e) {
    moveStatements(s, [e.payload.statement], get(e.payload, "group", null));
  }

  function vote(delta) {
    return function (s, e) {
      const gid = e.payload.group;
      if (lookup(s.groups, gid) === undefined) return;
      const actor = actorOf(e);
      const mine = Object.assign({}, lookup(s.votes, gid) || {});
      const count = (hasOwn(mine, actor) ? mine[actor] : 0) + delta;
      if (count > 0) mine[actor] = count;
      else delete mine[actor];
      s.votes = withItem(s, "votes", gid, mine);
    };
  }

  function ownerAssign(s, e) {
    const g = lookup(s.groups, e.payload.group);
    if (g !== undefined) {
      s.groups = withItem(s, "groups", g.id, Object.assign({}, g, {owner: e.payload.owner}));
    }
  }

  function actionConfirm(s, e) {
    const p = e.payload;
    const aid = String(e.seq);
    s.actions = withItem(s, "actions", aid, {
      id: aid, title: p.title, owner: p.owner, due: get(p, "due", ""),
      group: get(p, "group", null), by: actorOf(e),
    });
  }

  const GUESS_FIELDS = ["nps", "promoters", "driver", "theme"];

  function guessSetup(s, e) {
    s.choices = {drivers: e.payload.drivers, themes: e.payload.themes,
                 route: get(e.payload, "route", [])};
  }

  function guessSubmit(s, e) {
    // Keyed by the participant; a sealed copy has an empty payload: contents null.
    const actor = actorOf(e);
    const guess = {by: actor};
    for (const key of GUESS_FIELDS) guess[key] = get(e.payload, key, null);
    guess.hidden = true;
    guess.at = e.at;
    s.guesses = withItem(s, "guesses", actor, guess);
  }

  function answersReveal(s, e) {
    const p = e.payload;
    const guesses = Object.assign({}, s.guesses);
    for (const g of get(p, "revealed", [])) guesses[g.by] = Object.assign({}, g);
    for (const by of Object.keys(guesses)) {
      if (guesses[by].hidden) guesses[by] = Object.assign({}, guesses[by], {hidden: false});
    }
    s.guesses = guesses;
    s.reveal = {actual: p.actual, scores: p.scores, winners: p.winners, at: e.at};
  }

  function quoteShow(s, e) {
    const qid = String(e.seq);
    s.quotes = withItem(s, "quotes", qid, {id: qid, text: e.payload.text,
                                           unit: get(e.payload, "unit", ""), by: actorOf(e), at: e.at});
    s.current_quote = qid;
  }

  function setTo(key, value) {
    return function (s) { s[key] = value; };
  }

  function handover(s, e) {
    s.facilitator = "m:" + String(e.payload.to);
  }

  function roomClose(s, e) {
    timerStop(s, e);
    s.closed = true;
  }

  const REDUCERS = {
    room_created: roomCreated,
    phase_next: phaseMove,
    phase_back: phaseMove,
    timer_start: timerStart,
    timer_stop: timerStop,
    input_lock: setTo("locked", true),
    input_unlock: setTo("locked", false),
    facilitator_handover: handover,
    room_close: roomClose,
    statement_add: statementAdd,
    note_add: textItem("notes"),
    question_prepare: questionAdd(true),
    question_ask: questionAdd(false),
    question_upvote: questionUpvote,
    question_pick: questionPick,
    group_create: groupCreate,
    statement_group: statementGroup,
    vote_cast: vote(+1),
    vote_retract: vote(-1),
    owner_assign: ownerAssign,
    evaluation_add: textItem("evaluations"),
    commitment_add: textItem("commitments"),
    action_confirm: actionConfirm,
    guess_setup: guessSetup,
    guess_submit: guessSubmit,
    answers_reveal: answersReveal,
    quote_show: quoteShow,
  };

  /** Return the state after `event`; `state` itself is never changed.
   *  Unknown types (and `hidden` stubs) only advance the sequence number. */
  function apply(state, event) {
    const next = Object.assign({}, state);
    const handler = hasOwn(REDUCERS, event.type) ? REDUCERS[event.type] : null;
    if (handler !== null) handler(next, event);
    next.seq = event.seq;
    return next;
  }

  function derive(events, state) {
    let s = state === undefined || state === null ? initial() : state;
    for (const event of events) s = apply(s, event);
    return s;
  }

  const LiveRoom = {initial: initial, apply: apply, derive: derive,
                    types: Object.keys(REDUCERS)};
  root.LiveRoom = LiveRoom;

  // 2. Small helpers -----------------------------------------------------------------------

  const KINDS = ["experience", "wish", "expectation", "complaint", "answer"];
  const RINGS = ["inner", "outer", "centre", "outside"];
  const ROUNDS = ["round_1", "round_2", "round_3"];

  /** Build an element: h("li", {class: "x", text: "..."}, child, ...). Strings become text. */
  function h(tag, attrs) {
    const el = document.createElement(tag);
    for (const name of Object.keys(attrs || {})) {
      const value = attrs[name];
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") el.className = value;
      else if (name === "text") el.textContent = value;
      else if (name.slice(0, 2) === "on") el.addEventListener(name.slice(2), value);
      else el.setAttribute(name, value === true ? "" : String(value));
    }
    for (let i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }

  function append(el, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) child.forEach((c) => append(el, c));
    else el.append(child instanceof Node ? child : String(child));
  }

  function setChildren(el) {
    el.replaceChildren();
    for (let i = 1; i < arguments.length; i++) append(el, arguments[i]);
  }

  function fill(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, (m, key) => (hasOwn(values, key) ? values[key] : m));
  }

  function firstName(name) {
    return String(name || "").trim().split(/\s+/)[0] || "";
  }

  function byId(a, b) { return Number(a.id) - Number(b.id); }

  function newKey() {
    const c = root.crypto;
    if (c && typeof c.randomUUID === "function") return c.randomUUID();
    const bytes = new Uint8Array(16);
    c.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function dateText(iso) {
    const date = new Date(iso + "T12:00:00");
    if (Number.isNaN(date.getTime())) return iso;
    try {
      return date.toLocaleDateString(document.documentElement.lang || undefined,
                                     {day: "numeric", month: "long", year: "numeric"});
    } catch (error) {
      return iso;
    }
  }

  function clockText(ms) {
    const total = Math.max(0, Math.ceil(ms / 1000));
    const hours = Math.floor(total / 3600);
    const minutes = Math.floor((total % 3600) / 60);
    const seconds = total % 60;
    const mm = String(minutes).padStart(2, "0");
    const ss = String(seconds).padStart(2, "0");
    return hours ? hours + ":" + mm + ":" + ss : mm + ":" + ss;
  }

  // 3. The connection ------------------------------------------------------------------------

  const CLOSE_ENDED = 4001;
  const CLOSE_FORBIDDEN = 4003;
  const PING_MS = 20000;
  const SILENT_MS = 50000;

  function Connection(config, hooks) {
    this.config = config;
    this.hooks = hooks;
    this.state = null;          // the room as this viewer may see it
    this.seq = null;            // the last sequence number applied
    this.you = null;            // {actor, role, ring, name}
    this.format = null;
    this.presence = null;
    this.status = "connecting"; // connecting | live | reconnecting | ended
    this.ended = null;          // a label key once the room will not be rejoined
    this.pending = new Map();   // client_key → {action, payload, resolve}
    this.clockSamples = [];
    this.offset = 0;            // server clock minus this device's clock, in ms
    this.socket = null;
    this.attempt = 0;
    this.failedBeforeWelcome = 0;
    this.lastHeard = 0;
    this.retryTimer = null;
  }

  Connection.prototype.url = function () {
    const scheme = root.location.protocol === "https:" ? "wss:" : "ws:";
    return scheme + "//" + root.location.host + this.config.ws;
  };

  Connection.prototype.start = function () {
    this.connect();
    root.setInterval(() => this.heartbeat(), PING_MS / 2);
    root.addEventListener("online", () => this.wake());
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "visible") this.wake();
    });
  };

  Connection.prototype.wake = function () {
    if (!this.socket && !this.ended) {
      this.attempt = 0;
      this.connect();
    }
  };

  Connection.prototype.connect = function () {
    root.clearTimeout(this.retryTimer);
    if (this.ended || this.socket) return;
    this.setStatus(this.seq === null && this.attempt === 0 ? "connecting" : "reconnecting");
    let ws;
    try {
      ws = new WebSocket(this.url());
    } catch (error) {
      this.retry();
      return;
    }
    ws.welcomed = false;
    this.socket = ws;
    ws.onopen = () => {
      this.lastHeard = Date.now();
      this.raw(ws, {type: "hello", last_seq: this.seq});
    };
    ws.onmessage = (message) => {
      if (this.socket !== ws) return;
      this.lastHeard = Date.now();
      let data;
      try {
        data = JSON.parse(message.data);
      } catch (error) {
        return;
      }
      this.receive(ws, data);
    };
    ws.onclose = (event) => this.closed(ws, event.code);
  };

  Connection.prototype.raw = function (ws, message) {
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify(message));
      return true;
    }
    return false;
  };

  Connection.prototype.closed = function (ws, code) {
    if (this.socket !== ws) return;
    this.socket = null;
    if (code === CLOSE_ENDED) return this.end("ended_session");
    if (code === CLOSE_FORBIDDEN) return this.end("no_access");
    if (!ws.welcomed) this.failedBeforeWelcome += 1;
    // A refused handshake reaches the browser as 1006, like a network failure: after two
    // in a row, ask the page itself whether we are still let in.
    if (this.failedBeforeWelcome >= 2 && root.navigator.onLine !== false) {
      this.probe();
    } else {
      this.retry();
    }
  };

  Connection.prototype.probe = function () {
    this.setStatus("reconnecting");
    root.fetch(root.location.href, {credentials: "same-origin", redirect: "manual",
                                    headers: {Accept: "text/html"}})
      .then((response) => {
        if (response.type === "opaqueredirect" || [401, 403, 404, 410].includes(response.status)) {
          this.end(this.state && this.state.closed ? "closed" : "no_access");
        } else {
          this.retry();
        }
      })
      .catch(() => this.retry());
  };

  Connection.prototype.retry = function () {
    if (this.ended) return;
    this.setStatus("reconnecting");
    const base = Math.min(30000, 500 * Math.pow(2, this.attempt));
    this.attempt += 1;
    const delay = base / 2 + Math.random() * base / 2;
    this.retryTimer = root.setTimeout(() => this.connect(), delay);
  };

  Connection.prototype.end = function (reason) {
    this.ended = reason;
    root.clearTimeout(this.retryTimer);
    if (this.socket) {
      const ws = this.socket;
      this.socket = null;
      ws.onclose = null;
      ws.close();
    }
    this.setStatus("ended");
  };

  /** Close the socket as if the network dropped; the client reconnects and resyncs. */
  Connection.prototype.drop = function () {
    const ws = this.socket;
    if (!ws) return;
    this.socket = null;
    ws.onclose = null;
    ws.onmessage = null;
    ws.close(4000);
    this.retry();
  };

  Connection.prototype.heartbeat = function () {
    const ws = this.socket;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - this.lastHeard > SILENT_MS) {
      this.drop();  // a half-open connection: the server has been silent too long
      return;
    }
    this.raw(ws, {type: "ping"});
  };

  Connection.prototype.setStatus = function (status) {
    if (this.status !== status) {
      this.status = status;
      this.hooks.changed();
    }
  };

  Connection.prototype.sampleClock = function (serverTime) {
    // A message arrives after it was stamped, so each sample underestimates the offset by
    // the network delay: the largest recent sample is the best estimate.
    this.clockSamples.push(serverTime - Date.now());
    if (this.clockSamples.length > 8) this.clockSamples.shift();
    this.offset = Math.max.apply(null, this.clockSamples);
  };

  Connection.prototype.serverNow = function () {
    return Date.now() + this.offset;
  };

  Connection.prototype.receive = function (ws, message) {
    if (typeof message.server_time === "number") this.sampleClock(message.server_time);
    switch (message.type) {
      case "welcome":
        ws.welcomed = true;
        this.attempt = 0;
        this.failedBeforeWelcome = 0;
        this.you = message.you;
        this.format = message.format;
        this.setStatus("live");
        this.flush();
        break;
      case "snapshot":
        this.state = message.state;
        this.seq = message.seq;
        this.hooks.changed();
        break;
      case "events":
        for (const event of message.events) {
          if (!this.take(ws, event)) break;
        }
        this.hooks.changed();
        break;
      case "event":
        this.take(ws, message.event);
        this.hooks.changed();
        break;
      case "ack":
        this.settle(message.client_key, {ok: true, seq: message.seq});
        break;
      case "refused":
        this.settle(message.client_key, {ok: false, code: message.code, reason: message.reason});
        break;
      case "presence":
        this.presence = message.rings;
        this.hooks.changed();
        break;
      case "you":
        this.you = {actor: message.actor, role: message.role, ring: message.ring, name: message.name};
        this.hooks.changed();
        break;
      case "error":
        if (message.code === "rate_limited") {
          this.hooks.notice("rate_limited");
          root.setTimeout(() => this.flush(), 1500);
        }
        break;
      default:
        break;  // pong, and whatever a newer server sends
    }
  };

  /** Apply one event in order; on a gap ask for what is missing. Return false on a gap. */
  Connection.prototype.take = function (ws, event) {
    if (this.state === null || event.seq <= this.seq) return true;
    if (event.seq !== this.seq + 1) {
      this.raw(ws, {type: "hello", last_seq: this.seq});
      return false;
    }
    this.state = apply(this.state, event);
    this.seq = event.seq;
    return true;
  };

  /** Send an action; resolve with {ok, seq} or {ok: false, code, reason}, never reject. */
  Connection.prototype.send = function (action, payload) {
    const key = newKey();
    return new Promise((resolve) => {
      this.pending.set(key, {action: action, payload: payload || {}, resolve: resolve});
      this.transmit(key);
      this.hooks.changed();
    });
  };

  Connection.prototype.transmit = function (key) {
    const item = this.pending.get(key);
    const ws = this.socket;
    if (!item || !ws || !ws.welcomed) return;  // sent after the next welcome
    this.raw(ws, {type: "action", action: item.action, payload: item.payload, client_key: key});
  };

  /** (Re-)send everything not yet acknowledged, with its own client key: the server stores
   *  an action once per key, so a repeat of one that did arrive is only acknowledged. */
  Connection.prototype.flush = function () {
    for (const key of this.pending.keys()) this.transmit(key);
  };

  Connection.prototype.settle = function (key, result) {
    const item = this.pending.get(key);
    if (!item) return;
    this.pending.delete(key);
    if (!result.ok) this.hooks.refused(item, result);
    item.resolve(result);
    this.hooks.changed();
  };

  // 4. The views -------------------------------------------------------------------------------

  function Room(config, element) {
    this.config = config;
    this.el = element;
    this.view = config.view;
    this.labels = config.labels || {};
    this.names = Object.assign({}, config.names || {});
    this.selected = new Set();      // statements ticked for a new group (console)
    this.deferred = new Set();      // regions waiting for the user to leave a field
    this.forced = false;            // render even a region with a field in use
    this.renderQueued = false;
    this.toastTimer = null;
    this.conn = new Connection(config, {
      changed: () => this.queueRender(),
      refused: (item, result) => this.onRefused(item, result),
      notice: (key) => this.toast(this.t(key)),
    });
  }

  Room.prototype.t = function (key, values) {
    const text = hasOwn(this.labels, key) ? this.labels[key] : key;
    return values ? fill(text, values) : text;
  };

  Room.prototype.$ = function (selector) { return this.el.querySelector(selector); };
  Room.prototype.$$ = function (selector) { return Array.from(this.el.querySelectorAll(selector)); };

  Room.prototype.role = function () {
    return this.conn.you ? this.conn.you.role : this.config.role;
  };

  Room.prototype.me = function () {
    return this.conn.you ? this.conn.you.actor : null;
  };

  /** May this viewer do `action` now? Mirrors the server's check; the server decides. */
  Room.prototype.can = function (action) {
    const s = this.conn.state;
    if (!s || s.closed || this.conn.ended) return false;
    const role = this.role();
    const rules = (this.config.rules || {})[s.phase] || {};
    if (!(rules[role] || []).includes(action)) return false;
    return !(s.locked && role !== "facilitator");
  };

  Room.prototype.nameOf = function (actor) {
    return (actor && this.names[actor]) || "";
  };

  Room.prototype.customerName = function (contactId, full) {
    if (contactId === null || contactId === undefined) return "";
    const name = this.names["c:" + contactId] || "";
    return full ? name : firstName(name);
  };

  Room.prototype.memberName = function (membershipId) {
    return membershipId ? this.names["m:" + membershipId] || "" : "";
  };

  Room.prototype.start = function () {
    this.bindForms();
    this.conn.start();
    this.render();
    root.setInterval(() => this.tick(), 250);
    LiveRoom.send = (action, payload) => this.conn.send(action, payload);
    LiveRoom.state = () => this.conn.state;
    LiveRoom.status = () => this.conn.status;
    LiveRoom.offset = () => this.conn.offset;
    LiveRoom.drop = () => this.conn.drop();
  };

  Room.prototype.queueRender = function () {
    if (this.renderQueued) return;
    this.renderQueued = true;
    const later = () => {
      this.renderQueued = false;
      this.render();
    };
    // A hidden tab gets no animation frames; it still has to be current when shown.
    if (document.hidden) root.setTimeout(later, 100);
    else root.requestAnimationFrame(later);
  };

  Room.prototype.onRefused = function (item, result) {
    let key = "refused." + result.code;
    const reason = String(result.reason || "");
    const s = this.conn.state;
    if (result.code === "not_allowed" && item.action === "statement_add" && s && s.phase === "round_1") {
      key = "refused.round_1";
    } else if (result.code === "invalid") {
      const known = [
        ["all your votes", "refused.votes_used"], ["your own question", "refused.own_question"],
        ["already upvoted", "refused.upvoted"], ["no longer in the queue", "refused.not_queued"],
        ["already being discussed", "refused.current"], ["is required", "refused.required"],
        ["longer than", "refused.too_long"], ["must be a date", "refused.date"],
        ["already the facilitator", "refused.same_facilitator"],
        ["no phase in that direction", "refused.no_phase"], ["timer is not running", "refused.timer"],
        ["no vote on this group", "refused.no_vote"],
      ];
      const match = known.find((pair) => reason.includes(pair[0]));
      if (match) key = match[1];
    }
    if (!hasOwn(this.labels, key)) key = "refused.invalid";
    this.toast(this.t(key), "refused", result.code);
    if (item.onRefused) item.onRefused();
  };

  Room.prototype.toast = function (message, kind, code) {
    const box = this.$("[data-region=toast]");
    if (!box) return;
    const text = h("p", {class: "toast-text", "data-testid": "toast-text",
                         "data-code": code || null, text: message});
    const close = h("button", {type: "button", class: "toast-close", "aria-label": this.t("dismiss"),
                               onclick: () => { box.replaceChildren(); box.classList.remove("show"); }},
                    "×");
    box.replaceChildren(h("div", {class: "toast toast-" + (kind || "info")}, text, close));
    box.classList.add("show");
    root.clearTimeout(this.toastTimer);
    this.toastTimer = root.setTimeout(() => {
      box.classList.remove("show");
      box.replaceChildren();
    }, 9000);
  };

  /** Send `action` from a form; on refusal put the typed text back. */
  Room.prototype.act = function (action, payload, restore) {
    const promise = this.conn.send(action, payload);
    if (restore) {
      for (const item of this.conn.pending.values()) {
        if (item.payload === payload) item.onRefused = restore;
      }
    }
    return promise;
  };

  // Forms and buttons -------------------------------------------------------------------------

  Room.prototype.bindForms = function () {
    this.el.addEventListener("submit", (event) => {
      const form = event.target;
      const name = form.dataset.form;
      if (!name) return;  // a real form (finishing the arena) posts to the server
      event.preventDefault();
      this.submit(name, form);
    });
    this.el.addEventListener("click", (event) => {
      const button = event.target.closest("[data-do]");
      if (!button || !this.el.contains(button)) return;
      event.preventDefault();
      this.act(button.dataset.do, {});
    });
    // Enter submits a statement; Shift+Enter starts a new line.
    this.el.addEventListener("keydown", (event) => {
      const field = event.target;
      if (event.key !== "Enter" || !field.matches || !field.matches("textarea[data-enter-submits]")) return;
      if (event.shiftKey || event.ctrlKey || event.altKey || event.metaKey || event.isComposing) return;
      event.preventDefault();
      field.form.requestSubmit();
    });
    this.el.addEventListener("focusout", () => {
      root.setTimeout(() => {
        if (this.deferred.size) this.render();
      }, 0);
    });
    this.el.addEventListener("change", (event) => {
      const target = event.target;
      if (target.matches("[data-select-statement]")) {
        if (target.checked) this.selected.add(target.value);
        else this.selected.delete(target.value);
        this.renderSelection();
      } else if (target.matches("[data-owner-of]")) {
        if (target.value) {
          this.act("owner_assign", {group: target.dataset.ownerOf, owner: Number(target.value)});
        }
        // The choice is made: the list may be rebuilt now (focus stays on this select).
        this.forced = true;
        this.render();
        this.forced = false;
      } else if (target.matches("[data-script-item]")) {
        this.scriptDone(target.value, target.checked);
      }
    });
  };

  Room.prototype.submit = function (name, form) {
    const data = new FormData(form);
    const text = (data.get("text") || "").toString().trim();
    const textField = form.elements.namedItem("text");
    const restoreText = () => {
      if (textField && !textField.value) textField.value = text;
    };
    const clearText = () => {
      if (textField) textField.value = "";
    };
    const simple = {note: "note_add", prepare: "question_prepare", ask: "question_ask",
                    evaluation: "evaluation_add", commitment: "commitment_add"};
    if (hasOwn(simple, name)) {
      if (!text) return this.toast(this.t("refused.required"), "refused", "invalid");
      this.act(simple[name], {text: text}, restoreText);
      clearText();
      return;
    }
    if (name === "statement") {
      if (!text) return this.toast(this.t("refused.required"), "refused", "invalid");
      const payload = {text: text, kind: (data.get("kind") || "experience").toString(),
                       sentiment: (data.get("sentiment") || "").toString()};
      const theme = (data.get("theme") || "").toString().trim();
      if (theme) payload.theme = theme;
      const customer = (data.get("customer") || "").toString();
      if (customer) payload.customer = Number(customer);
      const s = this.conn.state;
      if (data.get("answers") && s && s.phase === "round_2" && s.current_question) {
        payload.question = s.current_question;
      }
      this.act("statement_add", payload, restoreText);
      // Keep who said it and what kind of remark it was: the next one is often alike.
      clearText();
      for (const field of form.querySelectorAll("input[name=sentiment]")) field.checked = field.value === "";
      const themeField = form.elements.namedItem("theme");
      if (themeField) themeField.value = "";
      if (textField) textField.focus();
      return;
    }
    if (name === "timer") {
      const minutes = Number(data.get("minutes"));
      const payload = minutes > 0 ? {seconds: Math.round(minutes * 60)} : {};
      this.act("timer_start", payload);
      return;
    }
    if (name === "handover") {
      const to = Number(data.get("to"));
      if (!to) return;
      if (!root.confirm(this.t("handover_confirm", {name: this.memberName(to)}))) return;
      this.act("facilitator_handover", {to: to});
      return;
    }
    if (name === "group") {
      const title = (data.get("title") || "").toString().trim();
      if (!title) return this.toast(this.t("refused.required"), "refused", "invalid");
      const statements = Array.from(this.selected);
      this.act("group_create", {title: title, statements: statements}).then((result) => {
        if (result.ok) {
          statements.forEach((sid) => this.selected.delete(sid));
          this.render();
        }
      });
      form.elements.namedItem("title").value = "";
      return;
    }
    if (name === "action") {
      const title = (data.get("title") || "").toString().trim();
      const owner = Number(data.get("owner"));
      if (!title || !owner) return this.toast(this.t("refused.required"), "refused", "invalid");
      const payload = {title: title, owner: owner, due: (data.get("due") || "").toString()};
      const group = (data.get("group") || "").toString();
      if (group) payload.group = group;
      const titleField = form.elements.namedItem("title");
      this.act("action_confirm", payload, () => {
        if (!titleField.value) titleField.value = title;
      });
      titleField.value = "";
      form.elements.namedItem("due").value = "";
    }
  };

  // Rendering ------------------------------------------------------------------------------------

  /** Replace a region's children; keep focus on the same control, and leave a region alone
   *  while the user is in one of its fields (a re-render would close an open select). */
  Room.prototype.region = function (name, nodes) {
    const box = this.$("[data-region=" + name + "]");
    if (!box) return null;
    const active = document.activeElement;
    if (!this.forced && active && box.contains(active) && active.matches("select, input[type=text], textarea")) {
      this.deferred.add(name);
      return box;
    }
    this.deferred.delete(name);
    const key = active && box.contains(active) ? active.getAttribute("data-key") : null;
    box.replaceChildren.apply(box, [].concat(nodes || []));
    if (key) {
      const again = Array.from(box.querySelectorAll("[data-key]")).find((x) => x.getAttribute("data-key") === key);
      if (again && !again.disabled) again.focus();
    }
    return box;
  };

  Room.prototype.bind = function (name, text) {
    for (const el of this.$$("[data-bind=" + name + "]")) {
      if (el.textContent !== text) el.textContent = text;
    }
  };

  Room.prototype.render = function () {
    const s = this.conn.state;
    this.el.dataset.state = this.conn.ended ? "ended" : this.conn.status;
    this.renderConnection();
    if (s) {
      this.el.dataset.phase = s.phase || "";
      this.el.dataset.locked = s.locked ? "true" : "false";
      this.el.dataset.closed = s.closed ? "true" : "false";
      this.el.dataset.role = this.role();
      this.renderVisibility();
      this.renderHead();
      this.renderBanner();
      this.renderPresence();
      this.renderWall();
      this.renderQuestions();
      this.renderGroups();
      this.renderRound3();
      if (this.view === "console") this.renderConsole();
      if (this.view === "phone") this.renderPhone();
      this.tick();
    }
  };

  Room.prototype.renderConnection = function () {
    const conn = this.conn;
    let text;
    if (conn.ended) text = this.t(conn.ended);
    else if (conn.status === "live") text = this.t("live");
    else if (conn.status === "reconnecting") text = this.t(root.navigator.onLine === false ? "offline" : "reconnecting");
    else text = this.t("connecting");
    if (conn.pending.size && !conn.ended) text += " · " + this.t("pending", {count: conn.pending.size});
    this.bind("connection", text);
  };

  /** Show what this role may use now: data-can (any of), data-phases, data-roles. */
  Room.prototype.renderVisibility = function () {
    const s = this.conn.state;
    const role = this.role();
    for (const el of this.$$("[data-can], [data-phases], [data-roles], [data-open]")) {
      let show = true;
      if (el.dataset.can) show = el.dataset.can.split(" ").some((action) => this.can(action));
      if (show && el.dataset.phases) show = el.dataset.phases.split(" ").includes(s.phase);
      if (show && el.dataset.roles) show = el.dataset.roles.split(" ").includes(role);
      if (show && el.dataset.open !== undefined) show = !s.closed && !this.conn.ended;
      el.hidden = !show;
    }
  };

  Room.prototype.renderHead = function () {
    const s = this.conn.state;
    this.bind("phase-label", this.t("phase." + s.phase));
    this.bind("phase-short", this.t("short." + s.phase));
    this.bind("prompt", this.t("prompt." + s.phase));
    this.bind("role-banner", this.t("role." + this.role()));
    const steps = s.plan.phases.map((phase, index) => h("li", {
      class: "step" + (index < s.phase_index ? " done" : "") + (index === s.phase_index ? " current" : ""),
      "aria-current": index === s.phase_index ? "step" : null,
    }, this.t("short." + phase.key)));
    this.region("stepper", steps);
    // The presenter screen explains the three rounds while everyone comes in.
    this.region("rules", this.view === "screen" && s.phase === "welcome"
      ? h("ol", {class: "screen-rules"}, ROUNDS.map((key) => h("li", null,
          h("p", {class: "screen-rule-label"}, this.t("phase." + key)),
          h("p", {class: "screen-rule-prompt"}, this.t("prompt." + key))))) : null);
  };

  Room.prototype.renderBanner = function () {
    const s = this.conn.state;
    let key = null;
    if (this.conn.ended) key = this.conn.ended;
    else if (s.closed) key = "closed";
    else if (s.locked && this.role() !== "facilitator") key = "locked";
    const box = this.$("[data-region=banner]");
    if (!box) return;
    box.hidden = key === null;
    box.dataset.kind = key || "";
    this.bind("banner-text", key ? this.t(key) : "");
  };

  Room.prototype.renderPresence = function () {
    const rings = this.conn.presence || {};
    for (const ring of RINGS) {
      for (const person of rings[ring] || []) {
        if (person.actor && person.name && !this.names[person.actor]) this.names[person.actor] = person.name;
      }
    }
    const full = this.view === "console";
    const always = this.config.rings || ["inner", "outer"];  // shown even when empty
    const items = RINGS.filter((ring) => (rings[ring] || []).length || always.includes(ring))
      .map((ring) => {
        const people = rings[ring] || [];
        const item = h("li", {class: "ring ring-" + ring, "data-testid": "presence-" + ring},
                       h("span", {class: "ring-count"}, String(people.length)),
                       " ", h("span", {class: "ring-name"}, this.t("ring." + ring)));
        if (full && people.length) {
          item.append(h("span", {class: "ring-people"}, people.map((p) => p.name).join(", ")));
        }
        return item;
      });
    this.region("presence", h("ul", {class: "presence-list", "aria-label": this.t("present")}, items));
  };

  Room.prototype.tick = function () {
    const s = this.conn.state;
    if (!s) return;
    const timer = s.timer;
    const left = timer.running ? Math.max(0, timer.ends_at - this.conn.serverNow()) : timer.remaining_ms;
    const text = timer.running && left <= 0 ? this.t("time_up") : clockText(left);
    for (const el of this.$$("[data-bind=timer]")) {
      if (el.textContent !== text) el.textContent = text;
      el.classList.toggle("running", Boolean(timer.running));
      el.classList.toggle("ending", Boolean(timer.running) && left > 0 && left <= 60000);
      el.classList.toggle("over", Boolean(timer.running) && left <= 0);
    }
  };

  // The statement wall ---------------------------------------------------------------------------

  Room.prototype.sentiment = function (value) {
    if (value !== "positive" && value !== "negative") return null;
    return h("span", {class: "sent sent-" + value, title: this.t(value)},
             h("span", {"aria-hidden": "true"}, value === "positive" ? "+" : "−"),
             h("span", {class: "visually-hidden"}, this.t(value)));
  };

  Room.prototype.kindBadge = function (kind) {
    return h("span", {class: "kind kind-" + kind}, this.t("kind." + kind));
  };

  Room.prototype.renderWall = function () {
    const s = this.conn.state;
    const statements = Object.values(s.statements).sort((a, b) => byId(b, a));
    if (this.view === "screen") return this.renderScreenWall(statements);
    const canSelect = this.view === "console" && this.can("group_create");
    const canMove = this.view === "console" && this.can("statement_group");
    const sections = [];
    const phases = s.plan.phases.map((p) => p.key).reverse();
    for (const phase of phases) {
      const items = statements.filter((st) => st.phase === phase);
      if (!items.length) continue;
      sections.push(h("h3", {class: "wall-round"}, this.t("short." + phase)));
      sections.push(h("ol", {class: "wall-list", "data-testid": "wall-" + phase},
                      items.map((st) => this.statementItem(st, canSelect, canMove))));
    }
    for (const sid of Array.from(this.selected)) {
      if (!hasOwn(s.statements, sid) || !canSelect) this.selected.delete(sid);
    }
    if (!sections.length) sections.push(h("p", {class: "muted empty"}, this.t("no_statements")));
    this.region("wall", sections);
    this.renderSelection();
    this.renderThemes(statements);
  };

  Room.prototype.statementItem = function (st, canSelect, canMove) {
    const s = this.conn.state;
    const full = this.view === "console";
    const own = st.customer !== null && "c:" + st.customer === this.me();
    const who = own ? this.t("you") : this.customerName(st.customer, full);
    const meta = h("p", {class: "statement-meta"},
                   who ? h("span", {class: "who"}, who) : null,
                   this.kindBadge(st.kind), this.sentiment(st.sentiment),
                   st.theme ? h("span", {class: "theme"}, st.theme) : null);
    const question = st.question && s.questions[st.question];
    const item = h("li", {class: "statement" + (st.group ? " grouped" : ""), "data-statement": st.id,
                          "data-testid": "statement"},
                   h("p", {class: "statement-text"}, st.text), meta,
                   question ? h("p", {class: "answer-to"}, this.t("answer_to", {question: question.text})) : null);
    if (canSelect && !st.group) {
      const box = h("input", {type: "checkbox", value: st.id, "data-select-statement": "",
                              "data-key": "select-" + st.id, "aria-label": this.t("select_statement"),
                              checked: this.selected.has(st.id)});
      item.prepend(h("label", {class: "select-box"}, box));
      item.classList.add("selectable");
    }
    if (st.group && s.groups[st.group]) {
      const chip = h("p", {class: "in-group"}, this.t("in_group", {group: s.groups[st.group].title}));
      if (canMove) {
        chip.append(" ", h("button", {type: "button", class: "linklike small", "data-key": "ungroup-" + st.id,
                                      onclick: () => this.act("statement_group", {statement: st.id, group: null})},
                           this.t("remove_from_group")));
      }
      item.append(chip);
    }
    if (canMove) {
      item.draggable = true;
      item.classList.add("draggable");
      item.addEventListener("dragstart", (event) => {
        event.dataTransfer.setData("text/x-statement", st.id);
        event.dataTransfer.setData("text/plain", st.text);
        event.dataTransfer.effectAllowed = "move";
        item.classList.add("dragging");
      });
      item.addEventListener("dragend", () => item.classList.remove("dragging"));
    }
    return item;
  };

  Room.prototype.renderScreenWall = function (statements) {
    const shown = statements.slice(0, 12);
    const cards = shown.map((st) => h("li", {class: "screen-card" + (st.sentiment ? " screen-card-" + st.sentiment : ""),
                                             "data-testid": "statement"},
      h("p", {class: "screen-card-text"}, st.text),
      h("p", {class: "screen-card-meta"},
        h("span", {class: "who"}, this.customerName(st.customer, false)),
        this.kindBadge(st.kind), this.sentiment(st.sentiment))));
    this.region("wall", cards.length ? h("ol", {class: "screen-wall"}, cards)
      : h("p", {class: "screen-empty"}, this.t("no_statements")));
  };

  Room.prototype.renderSelection = function () {
    this.bind("selected-count", this.t("selected", {count: this.selected.size}));
    const button = this.$("[data-form=group] button[type=submit]");
    if (button) button.disabled = this.selected.size === 0;
    for (const add of this.$$("[data-add-selected]")) add.hidden = this.selected.size === 0;
  };

  Room.prototype.renderThemes = function (statements) {
    const themes = Array.from(new Set(statements.map((st) => st.theme).filter(Boolean))).sort();
    const list = this.$("[data-region=themes]");
    if (list && list.children.length !== themes.length) {
      list.replaceChildren.apply(list, themes.map((theme) => h("option", {value: theme})));
    }
  };

  // Questions --------------------------------------------------------------------------------

  Room.prototype.queue = function () {
    const s = this.conn.state;
    return Object.values(s.questions)
      .filter((q) => !q.hidden && q.id !== s.current_question)
      .sort((a, b) => (b.upvotes.length - a.upvotes.length) || byId(a, b));
  };

  Room.prototype.renderQuestions = function () {
    const s = this.conn.state;
    const current = s.current_question ? s.questions[s.current_question] : null;
    const currentNode = current ? h("div", {class: "current-question", "data-testid": "current-question"},
      h("p", {class: "current-label"}, this.t("current_question")),
      h("p", {class: "current-text"}, current.text),
      h("p", {class: "current-by muted"}, firstName(this.nameOf(current.by)))) : null;
    this.region("current-question", currentNode);
    this.bind("current-question-text", current ? current.text : "");
    for (const el of this.$$("[data-needs-question]")) el.hidden = !(current && s.phase === "round_2");

    const me = this.me();
    const canPick = this.can("question_pick");
    const canUpvote = this.can("question_upvote");
    const items = this.queue().map((q) => {
      const mine = q.by === me;
      const upvoted = q.upvotes.includes(me);
      const controls = [];
      if (canPick) {
        controls.push(h("button", {type: "button", class: "button small", "data-key": "pick-" + q.id,
                                   "data-testid": "pick",
                                   onclick: () => this.act("question_pick", {question: q.id})}, this.t("pick")));
      }
      if (canUpvote && !mine) {
        const blocked = upvoted || q.status !== "queued";
        controls.push(h("button", {type: "button", class: "button small secondary upvote" + (upvoted ? " done" : ""),
                                   "data-key": "upvote-" + q.id, "data-testid": "upvote",
                                   disabled: blocked, "aria-pressed": upvoted ? "true" : "false",
                                   title: this.t(upvoted ? "supported" : "support"),
                                   onclick: () => this.act("question_upvote", {question: q.id})},
                           h("span", {"aria-hidden": "true"}, "+1"),
                           h("span", {class: "visually-hidden"}, this.t(upvoted ? "supported" : "support"))));
      }
      return h("li", {class: "question" + (q.status === "answered" ? " answered" : ""), "data-testid": "question"},
        h("span", {class: "upvotes", title: this.t("support")}, "+" + q.upvotes.length),
        h("div", {class: "question-body"},
          h("p", {class: "question-text"}, q.text),
          h("p", {class: "question-meta muted"},
            mine ? this.t("your_question") : firstName(this.nameOf(q.by)),
            q.status === "answered" ? [" · ", this.t("answered")] : null)),
        controls.length ? h("div", {class: "question-controls"}, controls) : null);
    });
    this.region("questions", items.length ? h("ol", {class: "question-list"}, items)
      : h("p", {class: "muted empty"}, this.t("no_questions")));

    if (this.view === "screen") {
      this.region("screen-question", current && s.phase === "round_2"
        ? h("div", {class: "screen-question"}, h("p", {class: "screen-question-label"}, this.t("current_question")),
            h("p", {class: "screen-question-text"}, current.text)) : null);
    }
  };

  // Groups and votes ------------------------------------------------------------------------------

  Room.prototype.tally = function (gid) {
    const votes = this.conn.state.votes[gid] || {};
    return Object.values(votes).reduce((a, b) => a + b, 0);
  };

  Room.prototype.votesText = function (count) {
    return count + " " + this.t(count === 1 ? "vote" : "votes");
  };

  Room.prototype.renderGroups = function () {
    const s = this.conn.state;
    const groups = Object.values(s.groups);
    const max = Math.max(1, ...groups.map((g) => this.tally(g.id)));
    if (this.view === "screen") {
      const ranked = groups.slice().sort((a, b) => (this.tally(b.id) - this.tally(a.id)) || byId(a, b));
      const rows = ranked.map((g) => this.groupBar(g, max, true));
      this.region("groups", rows.length ? h("ol", {class: "bar-list"}, rows) : null);
      return;
    }
    if (this.view === "phone") return;  // the phone has its own vote list
    groups.sort(byId);
    const canMove = this.can("statement_group");
    const canOwner = this.can("owner_assign");
    const members = this.config.members || [];
    const cards = groups.map((g) => {
      const card = h("li", {class: "group", "data-group": g.id, "data-testid": "group"},
        h("div", {class: "group-head"},
          h("h3", {class: "group-title"}, g.title),
          h("span", {class: "group-count muted"},
            g.statements.length + " " + this.t(g.statements.length === 1 ? "statement_count" : "statements_count"))),
        this.groupBar(g, max, false));
      if (canOwner) {
        const select = h("select", {"data-owner-of": g.id, "data-key": "owner-" + g.id,
                                    "aria-label": this.t("owner_of", {group: g.title})},
          h("option", {value: ""}, this.t("no_owner")),
          members.map((m) => h("option", {value: String(m.id), selected: g.owner === m.id}, m.name)));
        card.append(h("label", {class: "owner"}, select));
      } else {
        card.append(h("p", {class: "owner muted"}, g.owner ? this.t("owner_is", {name: this.memberName(g.owner)})
          : this.t("no_owner")));
      }
      const texts = g.statements.map((sid) => s.statements[sid]).filter(Boolean);
      if (texts.length) {
        card.append(h("ul", {class: "group-statements"}, texts.map((st) => h("li", null, st.text))));
      }
      if (canMove) {
        card.classList.add("drop-target");
        card.append(h("button", {type: "button", class: "button small secondary", "data-add-selected": "",
                                 "data-key": "add-" + g.id, hidden: this.selected.size === 0,
                                 onclick: () => this.addSelected(g.id)}, this.t("add_selected")));
        card.addEventListener("dragover", (event) => {
          if (Array.from(event.dataTransfer.types).includes("text/x-statement")) {
            event.preventDefault();
            event.dataTransfer.dropEffect = "move";
            card.classList.add("drop-over");
          }
        });
        card.addEventListener("dragleave", () => card.classList.remove("drop-over"));
        card.addEventListener("drop", (event) => {
          event.preventDefault();
          card.classList.remove("drop-over");
          const sid = event.dataTransfer.getData("text/x-statement");
          if (sid) this.act("statement_group", {statement: sid, group: g.id});
        });
      }
      return card;
    });
    this.region("groups", cards.length ? h("ol", {class: "group-list"}, cards)
      : h("p", {class: "muted empty"}, this.t(canMove ? "drop_here" : "no_groups")));
  };

  Room.prototype.addSelected = function (gid) {
    for (const sid of Array.from(this.selected)) {
      this.act("statement_group", {statement: sid, group: gid});
      this.selected.delete(sid);
    }
    this.render();
  };

  Room.prototype.groupBar = function (g, max, withOwner) {
    const count = this.tally(g.id);
    const fillBar = h("span", {class: "bar-fill"});
    fillBar.style.width = Math.round((count / max) * 100) + "%";  // CSSOM, allowed by the CSP
    const row = h("li", {class: "bar-row", "data-testid": "group-bar"},
      withOwner ? h("span", {class: "bar-title"}, g.title) : null,
      h("span", {class: "bar", "aria-hidden": "true"}, fillBar),
      h("span", {class: "bar-count", "data-testid": "group-votes"}, this.votesText(count)),
      withOwner && g.owner ? h("span", {class: "bar-owner"}, this.t("owner_is", {name: this.memberName(g.owner)})) : null);
    return withOwner ? row : h("div", {class: "bar-row"}, Array.from(row.childNodes));
  };

  // Round 3 -------------------------------------------------------------------------------------

  Room.prototype.renderRound3 = function () {
    const s = this.conn.state;
    const me = this.me();
    const people = (collection, testid) => {
      const items = Object.values(collection).sort(byId).reverse().map((item) => h("li", {"data-testid": testid},
        h("p", {class: "item-text"}, item.text),
        h("p", {class: "item-meta muted"}, item.by === me ? this.t("you") : firstName(this.nameOf(item.by)))));
      return items.length ? h("ul", {class: "item-list"}, items) : h("p", {class: "muted empty"}, this.t("no_evaluations"));
    };
    this.region("evaluations", people(s.evaluations, "evaluation"));
    this.region("commitments", people(s.commitments, "commitment"));
    const actions = Object.values(s.actions).sort(byId).map((a) => h("li", {"data-testid": "action"},
      h("p", {class: "item-text"}, a.title),
      h("p", {class: "item-meta muted"},
        this.t("owner_is", {name: this.memberName(a.owner)}),
        a.due ? [" · ", this.t("due", {date: dateText(a.due)})] : null,
        a.group && s.groups[a.group] ? [" · ", s.groups[a.group].title] : null)));
    this.region("actions", actions.length ? h("ul", {class: "item-list"}, actions)
      : h("p", {class: "muted empty"}, this.t("no_evaluations")));
  };

  // The console -----------------------------------------------------------------------------------

  Room.prototype.renderConsole = function () {
    const s = this.conn.state;
    const back = this.$("[data-do=phase_back]");
    const next = this.$("[data-do=phase_next]");
    if (back) back.disabled = s.phase_index === 0;
    if (next) next.disabled = s.phase_index >= s.plan.phases.length - 1;
    for (const el of this.$$("[data-when-timer]")) {
      el.hidden = el.dataset.whenTimer === "running" ? !s.timer.running : s.timer.running;
    }
    const minutes = this.$("[data-form=timer] input[name=minutes]");
    if (minutes && document.activeElement !== minutes && minutes.dataset.phase !== s.phase) {
      const phase = s.plan.phases[s.phase_index] || {};
      minutes.value = phase.timer ? String(Math.round(phase.timer / 60)) : "";
      minutes.dataset.phase = s.phase;
    }
    for (const el of this.$$("[data-when-locked]")) {
      el.hidden = el.dataset.whenLocked === "yes" ? !s.locked : s.locked;
    }
    this.renderScript();
    this.renderMemberSelects();
  };

  Room.prototype.scriptKey = function () {
    return "live-room-script-" + (this.config.arena ? this.config.arena.id : "") + "-" + this.conn.state.phase;
  };

  Room.prototype.scriptDone = function (index, done) {
    let ticked = [];
    try {
      ticked = JSON.parse(root.localStorage.getItem(this.scriptKey()) || "[]");
    } catch (error) {
      ticked = [];
    }
    ticked = ticked.filter((x) => x !== index);
    if (done) ticked.push(index);
    try {
      root.localStorage.setItem(this.scriptKey(), JSON.stringify(ticked));
    } catch (error) {
      // private browsing: the ticks last as long as the page
    }
  };

  Room.prototype.renderScript = function () {
    const s = this.conn.state;
    const questions = (this.config.script || {})[s.phase] || [];
    let ticked = [];
    try {
      ticked = JSON.parse(root.localStorage.getItem(this.scriptKey()) || "[]");
    } catch (error) {
      ticked = [];
    }
    const items = questions.map((text, index) => h("li", null, h("label", {class: "check"},
      h("input", {type: "checkbox", value: String(index), "data-script-item": "", "data-key": "script-" + index,
                  checked: ticked.includes(String(index))}),
      h("span", null, text))));
    const body = ROUNDS.includes(s.phase)
      ? (items.length ? h("ul", {class: "script-list"}, items) : null)
      : h("p", {class: "script-rules"}, this.t("script_welcome"));
    this.region("script", body);
  };

  Room.prototype.renderMemberSelects = function () {
    const s = this.conn.state;
    const members = this.config.members || [];
    const handover = this.$("[data-form=handover] select[name=to]");
    if (handover && document.activeElement !== handover) {
      const others = members.filter((m) => "m:" + m.id !== s.facilitator);
      const signature = others.map((m) => m.id).join(",");
      if (handover.dataset.signature !== signature) {
        setChildren(handover, h("option", {value: ""}, this.t("choose")),
          others.map((m) => h("option", {value: String(m.id)}, m.name)));
        handover.dataset.signature = signature;
      }
    }
    const owner = this.$("[data-form=action] select[name=owner]");
    if (owner && !owner.dataset.filled) {
      setChildren(owner, h("option", {value: ""}, this.t("choose")),
        members.map((m) => h("option", {value: String(m.id)}, m.name)));
      owner.dataset.filled = "true";
    }
    const group = this.$("[data-form=action] select[name=group]");
    if (group && document.activeElement !== group) {
      const groups = Object.values(s.groups).sort(byId);
      const signature = groups.map((g) => g.id + ":" + g.title).join("|");
      if (group.dataset.signature !== signature) {
        const value = group.value;
        setChildren(group, h("option", {value: ""}, this.t("no_group")),
          groups.map((g) => h("option", {value: g.id}, g.title)));
        group.value = value;
        group.dataset.signature = signature;
      }
    }
  };

  // The phone -------------------------------------------------------------------------------------

  Room.prototype.renderPhone = function () {
    const s = this.conn.state;
    const me = this.me();
    // Private notes and prepared questions: only this person's, and the state says so.
    const notes = Object.values(s.notes).filter((n) => n.by === me).sort(byId).reverse();
    this.region("notes", notes.length ? h("ul", {class: "item-list private"},
      notes.map((n) => h("li", {"data-testid": "note"}, h("p", {class: "item-text"}, n.text)))) : null);
    const prepared = Object.values(s.questions).filter((q) => q.by === me && q.hidden).sort(byId);
    this.region("prepared", prepared.length ? h("ul", {class: "item-list private"},
      prepared.map((q) => h("li", {"data-testid": "prepared-question"}, h("p", {class: "item-text"}, q.text),
        h("p", {class: "private-mark"}, this.t("only_you_until_round_2"))))) : null);

    // Dot votes.
    const budget = s.plan.vote_budget || 0;
    const used = Object.values(s.votes).reduce((sum, votes) => sum + (votes[me] || 0), 0);
    const left = Math.max(0, budget - used);
    this.bind("votes-left", this.t("votes_left", {left: left, total: budget}));
    const canCast = this.can("vote_cast");
    const canRetract = this.can("vote_retract");
    const groups = Object.values(s.groups).sort(byId);
    const rows = groups.map((g) => {
      const mine = (s.votes[g.id] || {})[me] || 0;
      const dots = h("span", {class: "dots", "aria-hidden": "true"},
                     Array.from({length: mine}, () => h("span", {class: "dot"})));
      return h("li", {class: "vote-row", "data-testid": "vote-group", "data-group": g.id},
        h("div", {class: "vote-body"},
          h("p", {class: "vote-title"}, g.title),
          h("p", {class: "vote-meta muted"}, dots, h("span", {"data-testid": "my-votes"},
            this.t("your_votes", {count: mine})))),
        h("div", {class: "vote-buttons"},
          h("button", {type: "button", class: "button small secondary", "data-key": "retract-" + g.id,
                       "data-testid": "retract", disabled: !canRetract || mine === 0,
                       "aria-label": this.t("retract_vote", {group: g.title}),
                       onclick: () => this.act("vote_retract", {group: g.id})}, "−"),
          h("button", {type: "button", class: "button small", "data-key": "cast-" + g.id,
                       "data-testid": "cast", disabled: !canCast || left === 0,
                       "aria-label": this.t("cast_vote", {group: g.title}),
                       onclick: () => this.act("vote_cast", {group: g.id})}, "+")));
    });
    this.region("votes", rows.length ? h("ul", {class: "vote-list"}, rows)
      : h("p", {class: "muted empty"}, this.t("no_groups")));
  };

  // Start ---------------------------------------------------------------------------------------

  // For the views of other formats (cascade/spel.js): the connection, this room's generic
  // parts (head, presence, toasts, forms) to build on, and the element helpers.
  LiveRoom.Room = Room;
  LiveRoom.Connection = Connection;
  LiveRoom.dom = {h: h, setChildren: setChildren, fill: fill, firstName: firstName, byId: byId,
                  dateText: dateText};

  function boot() {
    const source = document.getElementById("room-config");
    const element = document.getElementById("live-room");
    if (!source || !element) return;
    const room = new Room(JSON.parse(source.textContent), element);
    room.start();
  }

  if (typeof document !== "undefined") {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
    else boot();
  }
})(window);
