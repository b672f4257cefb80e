/*
 * interviewd candidate page.
 *
 * One page, five views (setup, interview, pending report, report, history), driven
 * by the JSON API of docs/api-details.md. The candidate's {candidate_id, token} and
 * the interview in progress live in localStorage so that a reload resumes where the
 * candidate was. Every piece of server text reaches the DOM through textContent or
 * attribute setters, never through innerHTML.
 */
'use strict';

(function () {
  const SESSION_KEY = 'interviewd.session';
  const DRAFT_KEY = 'interviewd.draft';
  const TTS_KEY = 'interviewd.readAloud';
  const RESUME_MAX_CHARS = 65536;
  const JOB_MAX_CHARS = 8192; // [limits] max_job_description_bytes by default; the server has the last word
  const PDF_MAX_BYTES = 1048576;     // [limits] max_resume_pdf_bytes' default
  const ACCESS_LINK_MAX = 400;       // a pasted access link longer than this is not one of ours
  const TIMER_TICK_MS = 1000;
  const POLL_INTERVAL_MS = 1500;
  const POLL_GIVE_UP_MS = 3 * 60 * 1000;
  const SVG_NS = 'http://www.w3.org/2000/svg';

  const KIND_LABELS = { technical: 'Technical', behavioral: 'Behavioral', mixed: 'Mixed' };
  const SCORER_LABELS = {
    model: 'Scored by an AI model',
    heuristic: 'Scored by the rubric',
    precheck: 'Scored 1 at once: the answer was empty or could not be read'
  };
  // Plain words for the scorer of an answer (the API's names are model, heuristic, precheck).
  const SCORER_SHORT = { model: 'AI model', heuristic: 'Rubric', precheck: 'Quick check' };
  const SCORER_CLASS = { model: 'model', heuristic: 'heuristic', precheck: 'precheck' };
  const FLAG_TEXT = {
    injection_attempt: 'This answer looked like an attempt to give instructions to the scorer. It was scored as an ordinary answer.'
  };

  /* ------------------------------------------------------------------ helpers */

  const $ = (id) => document.getElementById(id);

  /* Builds an element: props.class, props.text, props.attrs, props.data; children are
   * nodes or strings (strings become text nodes, so they are never parsed as HTML). */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    applyProps(node, props);
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
    }
    return node;
  }

  function svg(tag, attrs) {
    const node = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    return node;
  }

  function applyProps(node, props) {
    if (!props) return;
    if (props.class) node.className = props.class;
    if (props.text !== undefined && props.text !== null) node.textContent = String(props.text);
    if (props.attrs) for (const [k, v] of Object.entries(props.attrs)) node.setAttribute(k, String(v));
    if (props.data) for (const [k, v] of Object.entries(props.data)) node.dataset[k] = String(v);
  }

  function show(node, visible) { node.hidden = !visible; }

  function str(v, fallback) { return typeof v === 'string' ? v : (fallback === undefined ? '' : fallback); }

  function countChars(s) {
    let n = 0;
    for (const _ of s) n++; // counts code points, not UTF-16 units
    return n;
  }

  function announce(text) {
    const a = $('announcer');
    a.textContent = '';
    // A fresh text node in a later task makes screen readers announce it again.
    setTimeout(() => { a.textContent = text; }, 50);
  }

  function formatDate(v) {
    let d = null;
    if (typeof v === 'number') d = new Date(v < 1e12 ? v * 1000 : v);
    else if (typeof v === 'string' && v) {
      const t = Date.parse(v);
      if (!Number.isNaN(t)) d = new Date(t);
      else return v;
    }
    if (!d || Number.isNaN(d.getTime())) return '';
    return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  }

  function timeValue(v) {
    if (typeof v === 'number') return v < 1e12 ? v * 1000 : v;
    if (typeof v === 'string') { const t = Date.parse(v); return Number.isNaN(t) ? 0 : t; }
    return 0;
  }

  function storageGet(key) {
    try { return JSON.parse(localStorage.getItem(key)); } catch (_) { return null; }
  }
  function storageSet(key, value) {
    try {
      if (value === null) localStorage.removeItem(key);
      else localStorage.setItem(key, JSON.stringify(value));
    } catch (_) { /* private mode: the page still works, it just cannot resume */ }
  }

  /* ------------------------------------------------------------------ API */

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function api(method, path, body, opts) {
    const auth = !opts || opts.auth !== false;
    const raw = opts && opts.raw;        // a file sent as is (a PDF), with its content type
    const headers = { Accept: 'application/json' };
    if (raw) headers['Content-Type'] = raw.type;
    else if (body !== undefined) headers['Content-Type'] = 'application/json';
    const token = opts && opts.token ? opts.token : (state.session ? state.session.token : null);
    if (auth && token) headers.Authorization = 'Bearer ' + token;
    let res;
    try {
      res = await fetch(path, {
        method,
        headers,
        body: raw ? raw.data : (body === undefined ? undefined : JSON.stringify(body)),
        cache: 'no-store',
        credentials: 'omit'
      });
    } catch (_) {
      throw new ApiError(0, 'network', 'Could not reach the server. Check your connection and try again.');
    }
    let data = null;
    const text = await res.text().catch(() => '');
    if (text) { try { data = JSON.parse(text); } catch (_) { data = null; } }
    if (!res.ok) {
      const e = data && typeof data === 'object' ? data.error : null;
      const message = e && typeof e.message === 'string' && e.message
        ? e.message : 'The server answered with status ' + res.status + '.';
      throw new ApiError(res.status, e && typeof e.code === 'string' ? e.code : 'http_' + res.status, message);
    }
    if (res.status === 204) return {};
    if (!data || typeof data !== 'object') {
      throw new ApiError(res.status, 'bad_response', 'The server sent an answer this page cannot read.');
    }
    return data;
  }

  const enc = encodeURIComponent;

  /* ------------------------------------------------------------------ state */

  const state = {
    session: null,        // {candidate_id, token, interview_id?, index_base?}
    interview: null,      // {id, kind, mode, greeting, base, question}
    me: null,             // last GET /api/candidates/me
    busy: false,
    confirmEmpty: false,  // an empty answer was submitted once; the next submit sends it
    pollGeneration: 0,    // bumps to cancel a running report poll
    rolesLoaded: false,
    roles: [],            // [{id, title}] from /api/roles
    timer: null,          // {started, handle} while a question is on screen
    accessLink: ''        // shown once after registering, never stored
  };

  function saveSession() { storageSet(SESSION_KEY, state.session); }

  function loadSession() {
    const s = storageGet(SESSION_KEY);
    if (s && typeof s === 'object' && typeof s.token === 'string' && s.token && s.candidate_id !== undefined) return s;
    return null;
  }

  /* ------------------------------------------------------------------ views */

  const VIEWS = ['setup-view', 'interview-view', 'pending-view', 'report-view'];

  function showView(id, opts) {
    for (const v of VIEWS) show($(v), v === id);
    const withHistory = !!state.session && (id === 'setup-view' || id === 'report-view');
    show($('history-view'), withHistory);
    if (id !== 'interview-view') { stopDictation(); cancelSpeech(); stopTimer(); show($('access-box'), false); }
    // Only the report on screen carries [data-report]; an old one must not linger.
    if (id !== 'report-view') $('report-root').replaceChildren();
    if (!opts || opts.scroll !== false) window.scrollTo({ top: 0 });
  }

  function setBusy(busy, button, busyText) {
    state.busy = busy;
    if (!button) return;
    if (busy) {
      button.dataset.label = button.textContent;
      button.textContent = busyText;
      button.setAttribute('aria-disabled', 'true');
      button.classList.add('is-busy');
    } else {
      if (button.dataset.label) button.textContent = button.dataset.label;
      button.removeAttribute('aria-disabled');
      button.classList.remove('is-busy');
    }
  }

  function showError(id, message, kind) {
    const box = $(id);
    box.textContent = message || '';
    box.classList.toggle('warn', kind === 'warn');
    show(box, !!message);
  }

  function renderWho() {
    const name = state.me && typeof state.me.name === 'string' ? state.me.name : '';
    $('who-name').textContent = name || 'you';
    show($('who'), !!state.session);
  }

  /* ------------------------------------------------------------------ setup */

  function showSetup(message, notice) {
    const registered = !!state.session;
    show($('register-fields'), !registered);
    show($('signin-box'), !registered);
    show($('profile-box'), registered);
    $('setup-notice').textContent = notice || '';
    show($('setup-notice'), !!notice);
    if (registered) renderProfile();
    $('start-button').textContent = registered ? 'Start interview' : 'Register and start interview';
    if (registered) {
      const name = state.me && state.me.name ? String(state.me.name).split(/\s+/)[0] : '';
      $('setup-title').textContent = name ? 'Welcome back, ' + name : 'Start an interview';
      $('setup-lead').textContent = 'Choose the kind of interview you want to practise. Each one has its own questions and ends with a scored report.';
    } else {
      $('setup-title').textContent = 'Practice an interview';
      $('setup-lead').textContent = 'Tell us who you are and paste your resume. Questions are tailored to the role you choose, and every answer is scored against a rubric.';
    }
    showError('setup-error', message || '');
    renderWho();
    showView('setup-view');
  }

  async function loadRoles() {
    const select = $('f-role');
    try {
      const data = await api('GET', '/api/roles', undefined, { auth: false });
      const roles = Array.isArray(data.roles) ? data.roles : [];
      select.replaceChildren(el('option', { text: 'Choose a role…', attrs: { value: '' } }));
      for (const r of roles) {
        if (!r || typeof r.id !== 'string') continue;
        select.append(el('option', { text: str(r.title, r.id), attrs: { value: r.id } }));
      }
      state.roles = roles.filter((r) => r && typeof r.id === 'string').map((r) => ({ id: r.id, title: str(r.title, r.id) }));
      state.rolesLoaded = true;
      if (state.session) renderProfile();
    } catch (e) {
      select.replaceChildren(el('option', { text: 'Roles unavailable', attrs: { value: '' } }));
      if (!state.session) showError('setup-error', 'Could not load the list of roles: ' + e.message);
    }
  }

  function updateResumeCounter() {
    const n = countChars($('f-resume').value);
    const counter = $('resume-count');
    const over = n > RESUME_MAX_CHARS;
    counter.textContent = n.toLocaleString('en-US') + ' / ' + RESUME_MAX_CHARS.toLocaleString('en-US') +
      ' characters' + (over ? ' (' + (n - RESUME_MAX_CHARS).toLocaleString('en-US') + ' over the limit)' : '');
    counter.classList.toggle('over', over);
    $('f-resume').setAttribute('aria-invalid', over ? 'true' : 'false');
  }

  function updateJobCounter() {
    const n = countChars($('f-jd').value);
    const counter = $('jd-count');
    const over = n > JOB_MAX_CHARS;
    counter.textContent = n.toLocaleString('en-US') + ' / ' + JOB_MAX_CHARS.toLocaleString('en-US') +
      ' characters' + (over ? ' (' + (n - JOB_MAX_CHARS).toLocaleString('en-US') + ' over the limit)' : '');
    counter.classList.toggle('over', over);
    $('f-jd').setAttribute('aria-invalid', over ? 'true' : 'false');
  }

  function skillList(v) {
    return Array.isArray(v) ? v.filter((x) => typeof x === 'string' && x) : [];
  }

  async function onSetupSubmit(ev) {
    ev.preventDefault();
    if (state.busy) return;
    const button = $('start-button');
    showError('setup-error', '');
    let pdf = null;
    if (!state.session) {
      const resume = $('f-resume').value;
      const file = $('f-resume-pdf').files[0];
      if (file && !resume.trim()) {
        pdf = await readPdf(file, 'setup-error');
        if (!pdf) return;
      }
      if (countChars(resume) > RESUME_MAX_CHARS) {
        showError('setup-error', 'Your resume is longer than ' + RESUME_MAX_CHARS.toLocaleString('en-US') + ' characters. Please shorten it.');
        $('f-resume').focus();
        return;
      }
    }
    setBusy(true, button, state.session ? 'Starting…' : 'Registering…');
    try {
      if (!state.session) {
        const body = {
          name: $('f-name').value.trim(),
          email: $('f-email').value.trim(),
          role: $('f-role').value
        };
        if (pdf) body.resume_pdf = await base64Of(pdf);
        else body.resume_text = $('f-resume').value;
        const r = await api('POST', '/api/candidates', body, { auth: false });
        state.session = { candidate_id: r.candidate_id, token: r.token };
        saveSession();
        state.accessLink = accessLinkFor(r.token);
        state.me = { name: body.name, role: body.role, interviews: [] };
        renderWho();
        refreshMe(); // fills history in the background
        button.dataset.label = 'Start interview';
        button.textContent = 'Starting…';
      }
      const kind = $('f-kind').value;
      const startBody = { kind };
      const job = $('f-jd').value.trim();
      if (job) startBody.job_description = job;
      const r = await api('POST', '/api/interviews', startBody);
      const q = r.question || null;
      const base = q && typeof q.index === 'number' ? (q.index >= 1 ? 1 : 0) : 1;
      state.session.interview_id = r.interview_id;
      state.session.index_base = base;
      saveSession();
      storageSet(DRAFT_KEY, null);
      state.interview = {
        id: r.interview_id, kind, mode: str(r.mode), greeting: str(r.greeting), base, question: null,
        jobSkills: skillList(r.job_skills)
      };
      setBusy(false, button);
      enterInterview(q);
    } catch (e) {
      setBusy(false, button);
      if (e.status === 401 && state.session) return authLost();
      showSetup(e.message);
      if (e.code === 'email_taken') { $('signin-box').open = true; $('f-access').focus(); return; }
      if (!state.session) focusFieldFor(e.message);
    }
  }

  /* ------------------------------------------------------------------ access link */

  function accessLinkFor(token) {
    // In the fragment: browsers never send it to a server, in a request or a Referer.
    return location.origin + '/#access=' + encodeURIComponent(token);
  }

  function showAccessLink() {
    if (!state.accessLink) { show($('access-box'), false); return; }
    $('access-link').value = state.accessLink;
    $('access-copied').textContent = '';
    show($('access-box'), true);
  }

  async function copyAccessLink() {
    const input = $('access-link');
    try {
      await navigator.clipboard.writeText(input.value);
      $('access-copied').textContent = 'Copied. Keep it somewhere safe.';
    } catch (_) {
      input.select();
      $('access-copied').textContent = 'Select the link and copy it (Ctrl+C).';
    }
  }

  function dismissAccessLink() {
    state.accessLink = '';
    $('access-link').value = '';
    show($('access-box'), false);
  }

  /* The token in a pasted link or in the address bar's #access=..., or null. */
  function tokenFromLink(text) {
    const t = String(text || '').trim();
    if (!t || t.length > ACCESS_LINK_MAX) return null;
    const m = /[#?&]access=([^&#\s]+)/.exec(t);
    let token = t;
    if (m) { try { token = decodeURIComponent(m[1]); } catch (_) { return null; } }
    return /^[0-9a-f]{32}\.[0-9a-f]{64}$/.test(token) ? token : null;
  }

  async function signInWith(token, errorBox) {
    try {
      const me = await api('GET', '/api/candidates/me', undefined, { token });
      state.session = { candidate_id: str(me.candidate_id), token };
      saveSession();
      state.me = me;
      storageSet(DRAFT_KEY, null);
      renderWho();
      renderHistory();
      showSetup('', 'You are signed in. Your interviews are listed below.');
      return true;
    } catch (e) {
      const message = e.status === 401
        ? 'This access link is not valid: check that you copied all of it. If you deleted your data, the link no longer works.'
        : e.message;
      if (errorBox) showError(errorBox, message); else showSetup(message);
      return false;
    }
  }

  async function onSignIn(ev) {
    ev.preventDefault();
    showError('signin-error', '');
    const token = tokenFromLink($('f-access').value);
    if (!token) {
      showError('signin-error', 'That does not look like an access link. It looks like ' + location.origin + '/#access=… and is about 130 characters long.');
      return;
    }
    await signInWith(token, 'signin-error');
  }

  /* ------------------------------------------------------------------ PDF resumes */

  /* The file's bytes if it is a PDF under the limit, else null after an error in box. */
  async function readPdf(file, box) {
    if (file.size > PDF_MAX_BYTES) {
      showError(box, 'The PDF is ' + (file.size / 1048576).toFixed(1) + ' MB; the limit is 1 MB. Send a smaller file, or paste your resume as text.');
      return null;
    }
    if (file.type && file.type !== 'application/pdf') {
      showError(box, 'That file is not a PDF. Choose a PDF, or paste your resume as text.');
      return null;
    }
    return new Uint8Array(await file.arrayBuffer());
  }

  async function base64Of(bytes) {
    let bin = '';
    for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(bin);
  }

  /* ------------------------------------------------------------------ profile */

  function renderProfile() {
    const me = state.me || {};
    const select = $('f-new-role');
    const current = str(me.role);
    if (state.roles.length && select.options.length !== state.roles.length) {
      select.replaceChildren(...state.roles.map((r) => el('option', { text: r.title, attrs: { value: r.id } })));
    }
    if (current) select.value = current;
    const parts = [];
    if (me.name) parts.push('Signed in as ' + me.name + (me.email ? ' (' + me.email + ')' : '') + '.');
    if (me.role_title) parts.push('Role: ' + me.role_title + '.');
    if (typeof me.resume_words === 'number') parts.push('Resume on file: ' + me.resume_words + ' words.');
    $('profile-summary').textContent = parts.join(' ');
  }

  function profileMessage(error, notice) {
    showError('profile-error', error || '');
    $('profile-notice').textContent = notice || '';
    show($('profile-notice'), !!notice);
  }

  async function onRoleSave(ev) {
    ev.preventDefault();
    if (state.busy) return;
    const button = ev.submitter || document.querySelector('[data-action="save-role"]');
    profileMessage();
    setBusy(true, button, 'Saving…');
    try {
      const r = await api('PUT', '/api/candidates/me/role', { role: $('f-new-role').value });
      setBusy(false, button);
      profileMessage('', 'Your role is now ' + str(r.role_title, r.role) + '. Your next interviews use it.');
      refreshMe();
    } catch (e) {
      setBusy(false, button);
      if (e.status === 401) return authLost();
      profileMessage(e.message);
    }
  }

  async function onResumeSave(ev) {
    ev.preventDefault();
    if (state.busy) return;
    const button = ev.submitter || document.querySelector('[data-action="save-resume"]');
    profileMessage();
    const text = $('f-new-resume').value;
    const file = $('f-new-resume-pdf').files[0];
    if (!text.trim() && !file) { profileMessage('Paste your new resume or choose a PDF file first.'); return; }
    if (countChars(text) > RESUME_MAX_CHARS) { profileMessage('Your resume is longer than ' + RESUME_MAX_CHARS.toLocaleString('en-US') + ' characters. Please shorten it.'); return; }
    let pdf = null;
    if (!text.trim() && file) {
      pdf = await readPdf(file, 'profile-error');
      if (!pdf) return;
    }
    setBusy(true, button, pdf ? 'Reading the PDF…' : 'Saving…');
    try {
      if (pdf) await api('PUT', '/api/candidates/me/resume', undefined, { raw: { type: 'application/pdf', data: pdf } });
      else await api('PUT', '/api/candidates/me/resume', { resume_text: text });
      setBusy(false, button);
      $('f-new-resume').value = '';
      $('f-new-resume-pdf').value = '';
      profileMessage('', 'Your resume is saved. Your next interviews use it.');
      refreshMe();
    } catch (e) {
      setBusy(false, button);
      if (e.status === 401) return authLost();
      profileMessage(e.message);
    }
  }

  async function onDeleteMe() {
    if (state.busy) return;
    const ok = window.confirm('Delete your profile, resume, every interview and report from this server? This cannot be undone.');
    if (!ok) return;
    const button = document.querySelector('[data-action="delete-me"]');
    setBusy(true, button, 'Deleting…');
    try {
      await api('DELETE', '/api/candidates/me');
      setBusy(false, button);
      forgetProfile();
      dismissAccessLink();
      showSetup('', 'Your data was deleted from this server. Your access link no longer works.');
    } catch (e) {
      setBusy(false, button);
      if (e.status === 401) return authLost();
      profileMessage(e.message);
    }
  }

  /* ------------------------------------------------------------------ privacy */

  async function loadPrivacy() {
    try {
      const p = await api('GET', '/api/privacy', undefined, { auth: false });
      $('privacy-text').textContent = 'Where your resume and answers go: ' + str(p.text, 'unknown.');
    } catch (_) {
      $('privacy-text').textContent = 'Where your resume and answers go could not be loaded; ask the people running this server.';
    }
  }

  /* Puts focus on the field an error message names, if it names one. */
  function focusFieldFor(message) {
    const m = String(message).toLowerCase();
    const order = [['resume', 'f-resume'], ['email', 'f-email'], ['role', 'f-role'], ['name', 'f-name']];
    for (const [word, id] of order) {
      if (m.includes(word)) { $(id).focus(); return; }
    }
  }

  function authLost() {
    state.session = null;
    state.interview = null;
    state.me = null;
    saveSession();
    storageSet(DRAFT_KEY, null);
    state.pollGeneration++;
    showSetup('This browser\'s profile is no longer recognised by the server (it may have been deleted). Sign in with your access link, or register again.');
  }

  /* ------------------------------------------------------------------ interview */

  function enterInterview(question) {
    const iv = state.interview;
    $('interview-title').textContent = (KIND_LABELS[iv.kind] || 'Your') + ' interview';
    renderMode($('iv-mode'), iv.mode);
    show($('iv-offline'), iv.mode === 'offline');
    $('iv-greeting').textContent = iv.greeting;
    show($('iv-greeting'), !!iv.greeting);
    const skills = skillList(iv.jobSkills);
    $('iv-job').textContent = skills.length ? 'The job description asks for: ' + skills.join(', ') + '. The questions lean towards these.' : '';
    show($('iv-job'), skills.length > 0);
    showError('answer-error', '');
    showView('interview-view');
    showAccessLink();
    if (question) showQuestion(question, true);
  }

  /* Who scores this interview, in plain words (the API's mode names are internal). */
  function scoringLabel(mode) {
    return mode === 'offline' ? 'Scored by a rubric' : 'Scored by an AI model';
  }

  function renderMode(node, mode) {
    node.textContent = mode ? scoringLabel(mode) : '';
    node.className = 'badge' + (mode === 'offline' ? ' badge-muted' : ' badge-accent');
    node.title = mode === 'offline'
      ? 'No AI model is configured: a rubric scores your answers'
      : 'An AI model scores your answers and may write follow-up questions';
    show(node, !!mode);
  }

  /* ------------------------------------------------------------------ timer */

  function formatSeconds(total) {
    const s = Math.max(0, Math.floor(total));
    const m = Math.floor(s / 60);
    return m + ':' + String(s % 60).padStart(2, '0');
  }

  function startTimer() {
    stopTimer();
    const started = Date.now();
    const tick = () => { $('iv-timer-value').textContent = formatSeconds((Date.now() - started) / 1000); };
    tick();
    state.timer = { started, handle: setInterval(tick, TIMER_TICK_MS) };
  }

  function stopTimer() {
    if (state.timer) clearInterval(state.timer.handle);
    state.timer = null;
  }

  function plainDuration(seconds) {
    const s = Math.max(0, Math.round(Number(seconds) || 0));
    if (s < 60) return s + ' s';
    return Math.floor(s / 60) + ' min' + (s % 60 ? ' ' + (s % 60) + ' s' : '');
  }

  async function onAbandon() {
    const iv = state.interview;
    if (state.busy || !iv) return;
    const ok = window.confirm('Leave this interview? It will not be scored and will not count as in progress. Your answers so far stay in your history.');
    if (!ok) return;
    const button = $('abandon-button');
    setBusy(true, button, 'Leaving…');
    try {
      await api('POST', '/api/interviews/' + enc(iv.id) + '/abandon');
      setBusy(false, button);
      stopTimer();
      state.pollGeneration++;
      if (state.session) { delete state.session.interview_id; saveSession(); }
      state.interview = null;
      storageSet(DRAFT_KEY, null);
      showSetup('', 'You left the interview. It is marked as left in your history and has no report.');
      refreshMe();
    } catch (e) {
      setBusy(false, button);
      if (e.status === 401) return authLost();
      if (e.code === 'interview_finished') return pollReport(iv.id);
      showError('answer-error', e.message);
    }
  }

  function questionNumber(q) {
    const iv = state.interview;
    if (typeof q.index === 'number') return q.index - (iv && iv.base === 0 ? 0 : 1) + 1;
    return 1;
  }

  function showQuestion(q, first) {
    const iv = state.interview;
    iv.question = q;
    state.confirmEmpty = false;
    const total = typeof q.total === 'number' && q.total > 0 ? q.total : 1;
    const k = Math.min(Math.max(questionNumber(q), 1), total);
    $('iv-progress').textContent = 'Question ' + k + ' of ' + total;
    // The greeting introduces the interview; after the first answer it only pushes the question down.
    show($('iv-greeting'), !!iv.greeting && k === 1);
    const bar = $('iv-progressbar');
    bar.setAttribute('aria-valuemax', String(total));
    bar.setAttribute('aria-valuenow', String(k));
    bar.setAttribute('aria-valuetext', 'Question ' + k + ' of ' + total);
    $('iv-progressfill').style.width = (100 * k / total).toFixed(1) + '%';
    $('iv-category').textContent = q.category ? String(q.category).replace(/_/g, ' ') : '';
    show($('iv-category'), !!q.category);
    $('iv-question').textContent = str(q.text);

    const answer = $('f-answer');
    const draft = storageGet(DRAFT_KEY);
    answer.value = draft && draft.question_id === q.id && typeof draft.text === 'string' ? draft.text : '';
    showError('answer-error', '');
    if (!first) answer.focus({ preventScroll: true });
    startTimer();
    speakQuestion();
  }

  async function resumeInterview(id) {
    try {
      const iv = await api('GET', '/api/interviews/' + enc(id));
      const q = iv.current_question;
      state.session.interview_id = id;
      if (iv.state === 'active' && q) {
        let base = state.session.index_base;
        if (base !== 0 && base !== 1) {
          base = typeof q.index === 'number' && typeof iv.answered === 'number'
            ? (q.index - iv.answered >= 1 ? 1 : 0) : 1;
        }
        state.session.index_base = base;
        saveSession();
        state.interview = {
          id, kind: str(iv.kind), mode: str(iv.mode), greeting: str(iv.greeting), base, question: null
        };
        enterInterview(q);
      } else {
        saveSession();
        state.interview = { id, kind: str(iv.kind), mode: str(iv.mode), greeting: '', base: 1, question: null };
        pollReport(id);
      }
    } catch (e) {
      if (e.status === 401) return authLost();
      if (e.status === 404) {
        delete state.session.interview_id;
        saveSession();
        return showSetup('That interview could not be found. Start a new one below.');
      }
      showSetup('Could not load your interview: ' + e.message);
    }
  }

  async function onAnswerSubmit(ev) {
    ev.preventDefault();
    if (state.busy || !state.interview || !state.interview.question) return;
    const iv = state.interview;
    const answer = $('f-answer').value;
    if (!answer.trim() && !state.confirmEmpty) {
      state.confirmEmpty = true;
      showError('answer-error', 'Your answer is empty. Submit again to skip this question; a skipped question scores 1 out of 5.', 'warn');
      return;
    }
    stopDictation();
    const button = $('answer-button');
    setBusy(true, button, 'Submitting…');
    showError('answer-error', '');
    try {
      const r = await api('POST', '/api/interviews/' + enc(iv.id) + '/answers',
        { question_id: iv.question.id, answer });
      setBusy(false, button);
      storageSet(DRAFT_KEY, null);
      $('f-answer').value = '';
      if (r.done || !r.next_question) {
        stopTimer();
        pollReport(iv.id);
      } else {
        showQuestion(r.next_question);
      }
    } catch (e) {
      setBusy(false, button);
      if (e.status === 401) return authLost();
      if (e.code === 'interview_finished') return pollReport(iv.id);
      if (e.code === 'interview_abandoned') { stopTimer(); return showSetup(e.message); }
      if (e.code === 'wrong_question') {
        // Another tab answered meanwhile: reload the interview's real position.
        await resumeInterview(iv.id);
        showError('answer-error', e.message + ' The current question is shown above.', 'warn');
        return;
      }
      if (e.status === 404) {
        delete state.session.interview_id;
        saveSession();
        return showSetup(e.message);
      }
      showError('answer-error', e.message);
    }
  }

  function saveDraft() {
    const iv = state.interview;
    if (!iv || !iv.question) return;
    const text = $('f-answer').value;
    storageSet(DRAFT_KEY, text ? { question_id: iv.question.id, text } : null);
    if (text.trim()) { state.confirmEmpty = false; showError('answer-error', ''); }
  }

  /* ------------------------------------------------------------------ report */

  async function pollReport(id) {
    const generation = ++state.pollGeneration;
    const started = Date.now();
    showView('pending-view');
    $('pending-status').textContent = 'Scoring your answers…';
    showError('pending-error', '');
    show($('pending-retry'), false);
    show($('pending-new'), false);
    announce('Preparing your report');

    while (generation === state.pollGeneration) {
      try {
        const r = await api('GET', '/api/interviews/' + enc(id) + '/report');
        if (generation !== state.pollGeneration) return;
        if (r.status === 'ready') {
          renderReport(r);
          refreshMe();
          return;
        }
        if (typeof r.answered === 'number' && typeof r.evaluated === 'number') {
          $('pending-status').textContent = 'Scored ' + r.evaluated + ' of ' + r.answered + ' answers…';
        }
        showError('pending-error', '');
      } catch (e) {
        if (generation !== state.pollGeneration) return;
        if (e.status === 401) return authLost();
        if (e.status === 404 || e.code === 'interview_abandoned') {
          delete state.session.interview_id;
          saveSession();
          return showSetup(e.status === 404 ? 'That interview could not be found.' : e.message);
        }
        showError('pending-error', e.message + ' Retrying…', 'warn');
      }
      if (Date.now() - started >= POLL_GIVE_UP_MS) {
        showError('pending-error', 'Your report is taking longer than expected. Your answers are saved: check again in a few minutes, or come back later — this page remembers your interview.');
        show($('pending-retry'), true);
        show($('pending-new'), true);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
  }

  function scoreBar(score, max) {
    const s = Math.max(0, Math.min(max, Number(score) || 0));
    const bar = el('div', {
      class: 'scorebar ' + (s >= 4 ? 'good' : s >= 3 ? 'fair' : 'weak'),
      attrs: { role: 'img', 'aria-label': 'Score ' + s + ' out of ' + max }
    });
    for (let i = 1; i <= max; i++) bar.append(el('span', { class: i <= s ? 'on' : '' }));
    return bar;
  }

  function gauge(score) {
    const s = Math.max(0, Math.min(100, Number(score) || 0));
    const r = 52;
    const c = 2 * Math.PI * r;
    const g = svg('svg', { viewBox: '0 0 120 120', class: 'gauge', 'aria-hidden': 'true', focusable: 'false' });
    g.append(svg('circle', { cx: 60, cy: 60, r, class: 'gauge-track' }));
    g.append(svg('circle', {
      cx: 60, cy: 60, r, class: 'gauge-value ' + scoreClass(s),
      'stroke-dasharray': (c * s / 100).toFixed(2) + ' ' + c.toFixed(2),
      transform: 'rotate(-90 60 60)'
    }));
    return g;
  }

  function scoreClass(s) { return s >= 70 ? 'good' : s >= 40 ? 'fair' : 'weak'; }

  function listOrNone(items, emptyText) {
    const arr = Array.isArray(items) ? items.filter((x) => typeof x === 'string' && x) : [];
    if (!arr.length) return el('p', { class: 'hint', text: emptyText });
    return el('ul', { class: 'bullets' }, arr.map((x) => el('li', { text: x })));
  }

  function flagNotes(flags) {
    const arr = Array.isArray(flags) ? flags.filter((f) => typeof f === 'string' && f) : [];
    return arr.map((f) => el('p', { class: 'notice warn flag', data: { flag: f } },
      el('strong', { text: 'Warning: ' }), FLAG_TEXT[f] || ('flagged as “' + f.replace(/_/g, ' ') + '”.')));
  }

  function renderReport(r) {
    const root = $('report-root');
    const overall = Math.round(Number(r.overall_score) || 0);
    const scores = Array.isArray(r.scores) ? r.scores : [];
    const mode = str(r.mode, state.interview ? state.interview.mode : '');
    const offline = r.offline === true || mode === 'offline';

    const summaryCard = el('div', { class: 'card report-summary' },
      el('div', { class: 'overall ' + scoreClass(overall) },
        gauge(overall),
        el('p', { class: 'overall-number' },
          el('span', { class: 'sr-only', text: 'Overall score: ' }),
          el('span', { class: 'overall-value', text: String(overall), data: { metric: 'overall_score' } }),
          el('span', { class: 'overall-max', text: '/100' }))),
      el('div', { class: 'summary-text' },
        el('p', { class: 'report-meta' },
          el('span', { class: 'badge ' + (offline ? 'badge-muted' : 'badge-accent'), text: scoringLabel(offline ? 'offline' : mode) }),
          ' ',
          scorerTally(r.scorers, scores)),
        offline ? el('p', { class: 'notice info', text: 'No AI model is configured on this server, so these answers were scored by a rubric rather than by an AI model.' }) : null,
        el('p', { class: 'summary', text: str(r.summary, 'No summary was written for this interview.') }),
        r.note ? el('p', { class: 'hint', text: str(r.note) }) : null,
        flagNotes(r.flags)));

    const lists = el('div', { class: 'grid-2 report-lists' },
      el('div', { class: 'card' }, el('h2', { text: 'Strengths' }), listOrNone(r.strengths, 'None noted.')),
      el('div', { class: 'card' }, el('h2', { text: 'To improve' }), listOrNone(r.improvements, 'None noted.')));

    const covered = skillList(r.job_skills_covered);
    const missed = skillList(r.job_skills_missed);
    const jobCard = covered.length || missed.length
      ? el('div', { class: 'card report-job', data: { jobSkills: '' } },
        el('h2', { text: 'The job description' }),
        el('p', { text: covered.length ? 'This interview covered: ' + covered.join(', ') + '.' : 'This interview covered none of the skills the job description names.' }),
        missed.length ? el('p', { text: 'Not covered yet (a next interview can ask about them): ' + missed.join(', ') + '.' }) : null)
      : null;

    const cards = el('ol', { class: 'answers' }, scores.map((s, i) => {
      const score = Number(s.score) || 0;
      const scorer = str(s.scorer);
      return el('li', { class: 'card answer-card', data: { questionId: str(s.question_id), scorer } },
        el('div', { class: 'answer-head' },
          el('p', { class: 'category', text: 'Question ' + (i + 1) + (s.category ? ' · ' + String(s.category).replace(/_/g, ' ') : '') }),
          el('span', { class: 'badge scorer scorer-' + (SCORER_CLASS[scorer] || 'other'), text: SCORER_SHORT[scorer] || 'Scored', attrs: { title: SCORER_LABELS[scorer] || 'Scorer' }, data: { scorer } })),
        el('h3', { class: 'answer-question', text: str(s.question, 'Question ' + (i + 1)) }),
        el('div', { class: 'answer-score' },
          scoreBar(score, 5),
          el('span', { class: 'score-text' }, el('span', { text: String(score), data: { metric: 'score' } }), ' / 5')),
        typeof s.answer_seconds === 'number'
          ? el('p', { class: 'hint answer-time', text: 'Time to answer: ' + plainDuration(s.answer_seconds), data: { field: 'answer_seconds' } }) : null,
        el('h4', { class: 'answer-label', text: 'Your answer' }),
        el('blockquote', { class: 'candidate-answer', text: str(s.answer, '(no answer)'), data: { field: 'answer' } }),
        el('h4', { class: 'answer-label', text: 'Feedback' }),
        el('p', { class: 'feedback', text: str(s.feedback, 'No feedback.') }),
        referenceBlock(s.reference),
        el('p', { class: 'hint scorer-text', text: SCORER_LABELS[scorer] || 'Scored' }),
        flagNotes(s.flags));
    }));

    const tools = el('div', { class: 'report-tools' },
      el('button', { class: 'button secondary small', text: 'Download (Markdown)', attrs: { type: 'button' }, data: { action: 'download-report' } }),
      el('button', { class: 'button secondary small', text: 'Print', attrs: { type: 'button' }, data: { action: 'print-report' } }));
    tools.querySelector('[data-action="download-report"]').addEventListener('click', () => downloadMarkdown(r));
    tools.querySelector('[data-action="print-report"]').addEventListener('click', () => window.print());

    root.replaceChildren(
      el('div', { class: 'report', data: { report: '' }, attrs: { 'data-interview-id': str(r.interview_id, state.interview ? state.interview.id : '') } },
        tools,
        summaryCard,
        lists,
        jobCard,
        el('h2', { class: 'section-title', text: 'Answer by answer' }),
        scores.length ? cards : el('p', { class: 'hint', text: 'No answers were scored.' })));
    const kind = state.interview && KIND_LABELS[state.interview.kind];
    $('report-title').textContent = kind ? kind + ' interview report' : 'Your interview report';
    showView('report-view');
    $('report-title').focus({ preventScroll: true });
    announce('Your report is ready. Overall score ' + overall + ' out of 100.');
  }

  /* What a strong answer covers (the question's key points) and the outline of one. */
  function referenceBlock(ref) {
    const points = ref && Array.isArray(ref.key_points) ? ref.key_points.filter((x) => typeof x === 'string' && x) : [];
    const outline = ref ? str(ref.outline) : '';
    if (!points.length && !outline) return null;
    return el('div', { class: 'reference', data: { field: 'reference' } },
      points.length ? el('h4', { class: 'answer-label', text: 'What a strong answer covers' }) : null,
      points.length ? el('ul', { class: 'bullets key-points' }, points.map((x) => el('li', { text: x }))) : null,
      outline ? el('h4', { class: 'answer-label', text: 'Outline of a strong answer' }) : null,
      outline ? el('p', { class: 'outline', text: outline }) : null);
  }

  /* The report as Markdown, for the candidate to keep. Candidate text is quoted line by
   * line, so nothing in it can become a heading or a link target of ours. */
  function reportMarkdown(r) {
    const quote = (t) => String(t || '').split(/\r?\n/).map((l) => '> ' + l).join('\n');
    const kind = state.interview && KIND_LABELS[state.interview.kind];
    const out = ['# ' + (kind ? kind + ' interview report' : 'Interview report'), ''];
    out.push('Overall score: ' + Math.round(Number(r.overall_score) || 0) + '/100', '');
    if (r.summary) out.push(str(r.summary), '');
    const list = (title, items) => {
      const arr = Array.isArray(items) ? items.filter((x) => typeof x === 'string' && x) : [];
      if (!arr.length) return;
      out.push('## ' + title, '', ...arr.map((x) => '- ' + x), '');
    };
    list('Strengths', r.strengths);
    list('To improve', r.improvements);
    list('Job description: skills covered', skillList(r.job_skills_covered));
    list('Job description: skills not covered yet', skillList(r.job_skills_missed));
    out.push('## Answer by answer', '');
    (Array.isArray(r.scores) ? r.scores : []).forEach((s, i) => {
      out.push('### Question ' + (i + 1) + ': ' + str(s.question), '');
      out.push('Score: ' + (Number(s.score) || 0) + '/5', '');
      if (typeof s.answer_seconds === 'number') out.push('Time to answer: ' + plainDuration(s.answer_seconds), '');
      out.push('Your answer:', '', quote(s.answer), '');
      out.push('Feedback: ' + str(s.feedback), '');
      const ref = s.reference || {};
      const pts = Array.isArray(ref.key_points) ? ref.key_points.filter((x) => typeof x === 'string' && x) : [];
      if (pts.length) out.push('What a strong answer covers:', '', ...pts.map((x) => '- ' + x), '');
      if (str(ref.outline)) out.push('Outline of a strong answer: ' + str(ref.outline), '');
    });
    return out.join('\n');
  }

  function downloadMarkdown(r) {
    const blob = new Blob([reportMarkdown(r)], { type: 'text/markdown;charset=utf-8' });
    const url = URL.createObjectURL(blob);
    const a = el('a', { attrs: { href: url, download: 'interview-report-' + str(r.interview_id, 'report') + '.md' } });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  function scorerTally(tally, scores) {
    const counts = { model: 0, heuristic: 0, precheck: 0 };
    if (tally && typeof tally === 'object') {
      for (const k of Object.keys(counts)) counts[k] = Number(tally[k]) || 0;
    } else {
      for (const s of scores) if (s && s.scorer in counts) counts[s.scorer]++;
    }
    const answers = (n) => n + (n === 1 ? ' answer' : ' answers');
    const parts = [];
    if (counts.model) parts.push(answers(counts.model) + ' scored by an AI model');
    if (counts.heuristic) parts.push(answers(counts.heuristic) + ' scored by the rubric');
    if (counts.precheck) parts.push(answers(counts.precheck) + ' empty or unreadable, scored 1');
    return el('span', { class: 'hint', text: parts.length ? parts.join('; ') + '.' : '' });
  }

  function startAnother() {
    state.pollGeneration++;
    if (state.session) { delete state.session.interview_id; saveSession(); }
    state.interview = null;
    storageSet(DRAFT_KEY, null);
    showSetup();
    refreshMe();
    $('f-kind').focus();
  }

  /* ------------------------------------------------------------------ history */

  async function refreshMe() {
    if (!state.session) return null;
    try {
      const me = await api('GET', '/api/candidates/me');
      if (!state.session) return null;
      state.me = me;
      renderWho();
      renderHistory();
      renderProfile();
      if (!$('setup-view').hidden) {
        const name = me.name ? String(me.name).split(/\s+/)[0] : '';
        if (name) $('setup-title').textContent = 'Welcome back, ' + name;
      }
      return me;
    } catch (e) {
      if (e.status === 401 || e.status === 404) { authLost(); return null; }
      return state.me; // a transient failure leaves the old history in place
    }
  }

  function renderHistory() {
    const list = $('history-list');
    const items = state.me && Array.isArray(state.me.interviews) ? state.me.interviews.slice() : [];
    items.sort((a, b) => timeValue(a.created_at) - timeValue(b.created_at));
    show($('history-empty'), items.length === 0);
    renderTrend(items.filter((i) => typeof i.overall_score === 'number'));

    list.replaceChildren(...items.slice().reverse().map((it) => {
      const id = str(it.interview_id, String(it.interview_id));
      const finished = it.state === 'finished';
      const left = it.state === 'abandoned';
      const score = typeof it.overall_score === 'number' ? Math.round(it.overall_score) : null;
      const action = left ? el('span', { class: 'hint', text: 'No report' }) : el('button', {
        class: 'button small secondary',
        text: finished ? 'View report' : 'Continue',
        attrs: { type: 'button', 'aria-label': (finished ? 'View report of ' : 'Continue ') + (KIND_LABELS[it.kind] || '') + ' interview from ' + formatDate(it.created_at) },
        data: { action: finished ? 'view-report' : 'continue', interviewId: id }
      });
      return el('li', { class: 'history-item', data: { interviewId: id, state: str(it.state) } },
        el('div', { class: 'history-main' },
          el('p', { class: 'history-title' },
            el('strong', { text: (KIND_LABELS[it.kind] || str(it.kind, 'Interview')) + ' interview' }),
            ' ',
            el('span', { class: 'badge ' + (finished ? 'badge-ok' : left ? 'badge-muted' : 'badge-accent'), text: finished ? 'finished' : left ? 'left before the end' : 'in progress' })),
          el('p', { class: 'hint', text: [
            formatDate(it.created_at),
            !finished && typeof it.answered === 'number' ? it.answered + ' answered' : ''
          ].filter(Boolean).join(' · ') })),
        el('p', { class: 'history-score ' + (score === null ? '' : scoreClass(score)) },
          score === null ? el('span', { class: 'hint', text: finished ? 'scoring…' : '' })
            : [el('span', { text: String(score), data: { metric: 'history_score' } }), el('span', { class: 'hint', text: '/100' })]),
        action);
    }));
  }

  /* A hand-drawn SVG line of overall scores, oldest to newest. */
  function renderTrend(scored) {
    const box = $('history-trend');
    if (!scored.length) { box.replaceChildren(); show(box, false); return; }
    show(box, true);
    const W = 320, H = 96, padL = 30, padR = 12, padY = 10;
    const n = scored.length;
    const x = (i) => n === 1 ? (padL + W - padR) / 2 : padL + (W - padL - padR) * i / (n - 1);
    const y = (s) => padY + (H - 2 * padY) * (100 - Math.max(0, Math.min(100, s))) / 100;
    const values = scored.map((it) => Math.round(it.overall_score));
    const titleId = 'trend-title';
    const descId = 'trend-desc';
    const g = svg('svg', {
      viewBox: '0 0 ' + W + ' ' + H, class: 'trend-svg', role: 'img',
      'aria-labelledby': titleId + ' ' + descId
    });
    const title = svg('title', { id: titleId }); title.textContent = 'Overall score trend';
    const desc = svg('desc', { id: descId }); desc.textContent = 'Scores from oldest to newest: ' + values.join(', ') + ' out of 100.';
    g.append(title, desc);
    for (const level of [0, 50, 100]) {
      g.append(svg('line', { x1: padL, x2: W - padR, y1: y(level), y2: y(level), class: 'trend-grid' }));
      const label = svg('text', { x: padL - 6, y: y(level) + 3, 'text-anchor': 'end', class: 'trend-axis', 'aria-hidden': 'true' });
      label.textContent = String(level);
      g.append(label);
    }
    if (n > 1) {
      g.append(svg('polyline', {
        points: values.map((v, i) => x(i).toFixed(1) + ',' + y(v).toFixed(1)).join(' '),
        class: 'trend-line', fill: 'none'
      }));
    }
    values.forEach((v, i) => {
      const dot = svg('circle', { cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: 3.5, class: 'trend-dot' });
      const t = svg('title'); t.textContent = 'Interview ' + (i + 1) + ': ' + v;
      dot.append(t);
      g.append(dot);
    });
    const last = values[n - 1];
    const delta = n > 1 ? last - values[n - 2] : null;
    box.replaceChildren(
      g,
      el('p', { class: 'hint trend-caption', text: 'Latest ' + last + '/100' +
        (delta === null ? '' : delta === 0 ? ', unchanged from the interview before.' :
          ', ' + (delta > 0 ? 'up ' : 'down ') + Math.abs(delta) + ' from the interview before.') }));
  }

  function onHistoryClick(ev) {
    const button = ev.target.closest('button[data-interview-id]');
    if (!button || state.busy) return;
    const id = button.dataset.interviewId;
    state.session.interview_id = id;
    delete state.session.index_base;
    saveSession();
    if (button.dataset.action === 'view-report') {
      const known = state.me && Array.isArray(state.me.interviews)
        ? state.me.interviews.find((it) => String(it.interview_id) === id) : null;
      state.interview = { id, kind: known ? str(known.kind) : '', mode: known ? str(known.mode) : '', greeting: '', base: 1, question: null };
      pollReport(id);
    } else {
      resumeInterview(id);
    }
  }

  /* ------------------------------------------------------------------ voice */

  const Recognition = window.SpeechRecognition || window.webkitSpeechRecognition || null;
  const canSpeak = 'speechSynthesis' in window && typeof window.SpeechSynthesisUtterance === 'function';
  let recognizer = null;
  let listening = false;

  function initVoice() {
    show($('voice-controls'), !!Recognition || canSpeak);
    show($('mic'), !!Recognition);
    show($('voice-hint'), !!Recognition);
    show($('tts-wrap'), canSpeak);
    if (canSpeak) {
      $('f-tts').checked = storageGet(TTS_KEY) === true;
      $('f-tts').addEventListener('change', () => {
        storageSet(TTS_KEY, $('f-tts').checked);
        if ($('f-tts').checked) speakQuestion(); else cancelSpeech();
      });
    }
    if (Recognition) $('mic').addEventListener('click', toggleDictation);
  }

  function setListening(on) {
    listening = on;
    const mic = $('mic');
    mic.setAttribute('aria-pressed', on ? 'true' : 'false');
    mic.classList.toggle('live', on);
    $('mic-label').textContent = on ? 'Stop dictation' : 'Start dictation';
    if (!on) $('mic-status').textContent = '';
  }

  function appendToAnswer(text) {
    const t = text.trim();
    if (!t) return;
    const box = $('f-answer');
    box.value = box.value && !/\s$/.test(box.value) ? box.value + ' ' + t : box.value + t;
    saveDraft();
  }

  function toggleDictation() {
    if (listening) { stopDictation(); return; }
    cancelSpeech();
    try {
      recognizer = new Recognition();
      recognizer.lang = navigator.language || 'en-US';
      recognizer.continuous = true;
      recognizer.interimResults = true;
      recognizer.onresult = (ev) => {
        let interim = '';
        for (let i = ev.resultIndex; i < ev.results.length; i++) {
          const res = ev.results[i];
          if (res.isFinal) appendToAnswer(res[0].transcript);
          else interim += res[0].transcript;
        }
        $('mic-status').textContent = interim ? 'Hearing: ' + interim : 'Listening…';
      };
      recognizer.onerror = (ev) => {
        const messages = {
          'not-allowed': 'Microphone access was refused. Allow it in the browser to dictate, or type your answer.',
          'service-not-allowed': 'Speech recognition is not available in this browser. Please type your answer.',
          'no-speech': 'No speech was heard. Try again closer to the microphone.',
          'audio-capture': 'No microphone was found.',
          network: 'Speech recognition needs a network connection in this browser. Please type your answer.'
        };
        showError('answer-error', messages[ev.error] || 'Dictation stopped (' + ev.error + ').', 'warn');
      };
      recognizer.onend = () => { setListening(false); recognizer = null; };
      recognizer.start();
      setListening(true);
      $('mic-status').textContent = 'Listening…';
    } catch (e) {
      setListening(false);
      showError('answer-error', 'Dictation could not start: ' + e.message, 'warn');
    }
  }

  function stopDictation() {
    if (recognizer) { try { recognizer.stop(); } catch (_) { /* already stopped */ } }
    if (listening) setListening(false);
  }

  function speakQuestion() {
    if (!canSpeak || !$('f-tts').checked || listening) return;
    const iv = state.interview;
    if (!iv || !iv.question || $('interview-view').hidden) return;
    cancelSpeech();
    const u = new SpeechSynthesisUtterance(str(iv.question.text));
    u.lang = 'en-US';
    window.speechSynthesis.speak(u);
  }

  function cancelSpeech() {
    if (canSpeak) { try { window.speechSynthesis.cancel(); } catch (_) { /* nothing to cancel */ } }
  }

  /* ------------------------------------------------------------------ start-up */

  /* This browser forgets the profile (the server keeps it unless it was deleted). */
  function forgetProfile() {
    state.pollGeneration++;
    state.session = null;
    state.me = null;
    state.interview = null;
    saveSession();
    storageSet(DRAFT_KEY, null);
    renderHistory();
  }

  function onForget() {
    const ok = window.confirm('This browser will forget your profile, and with it the link to your interview history. Continue?');
    if (!ok) return;
    forgetProfile();
    showSetup();
    $('f-name').focus();
  }

  async function init() {
    $('setup-form').addEventListener('submit', onSetupSubmit);
    $('answer-form').addEventListener('submit', onAnswerSubmit);
    $('f-resume').addEventListener('input', updateResumeCounter);
    $('f-jd').addEventListener('input', updateJobCounter);
    $('f-answer').addEventListener('input', saveDraft);
    $('f-answer').addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
        ev.preventDefault();
        $('answer-form').requestSubmit();
      }
    });
    $('history-list').addEventListener('click', onHistoryClick);
    $('signin-form').addEventListener('submit', onSignIn);
    $('role-form').addEventListener('submit', onRoleSave);
    $('resume-form').addEventListener('submit', onResumeSave);
    document.querySelector('[data-action="delete-me"]').addEventListener('click', onDeleteMe);
    document.querySelector('[data-action="abandon"]').addEventListener('click', onAbandon);
    document.querySelector('[data-action="copy-access"]').addEventListener('click', copyAccessLink);
    document.querySelector('[data-action="dismiss-access"]').addEventListener('click', dismissAccessLink);
    loadPrivacy();
    $('pending-retry').addEventListener('click', () => { if (state.session && state.session.interview_id) pollReport(state.session.interview_id); });
    for (const b of document.querySelectorAll('[data-action="new-interview"]')) b.addEventListener('click', startAnother);
    document.querySelector('[data-action="forget"]').addEventListener('click', onForget);
    updateResumeCounter();
    initVoice();

    const roles = loadRoles();
    // An access link (/#access=<token>): read it, then take it out of the address bar and
    // the history at once, so it is not left on screen or in a bookmark by accident.
    const fromLink = location.hash.startsWith('#access=') ? tokenFromLink(location.hash) : null;
    if (location.hash.startsWith('#access=')) history.replaceState(null, '', location.pathname + location.search);
    if (fromLink) {
      await roles;
      const ok = await signInWith(fromLink);
      if (ok) return;
      state.session = null;
      return;
    }
    state.session = loadSession();
    if (!state.session) { await roles; showSetup(); return; }

    renderWho();
    const me = await refreshMe();
    if (!state.session) return; // authLost() already showed the form
    if (!me) state.me = state.me || null;
    if (state.session.interview_id !== undefined && state.session.interview_id !== null) {
      await resumeInterview(state.session.interview_id);
    } else {
      showSetup();
    }
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
