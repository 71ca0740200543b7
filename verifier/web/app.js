// The clerk's page: paste or drop a credential, ask this verifier's own API, show the verdict,
// each step in Chinese and English, the successor of a superseded deed, the encumbrances, and
// offer the signed receipt for download.
//
// Safety rule of this file: text that came from outside (the pasted document, the server's
// report, which echoes parts of it) is only ever put on the page with textContent or as an
// attribute value, never parsed as HTML. The page's Content-Security-Policy forbids inline
// script and every origin but this one, so even a mistake here could not run injected script.
"use strict";

(function () {
  const BUNDLE_FORMAT = "ecert-offline-bundle/1";
  const POLL_MS = 1500;
  let labels = null;
  let receipt = null;
  let polling = null;

  function byId(id) {
    return document.getElementById(id);
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function pair(entry) {
    return entry && typeof entry.zh === "string" ? entry : { zh: "", en: "" };
  }

  // Templates hold {type}, {region} and {code}; the result is only ever used as text.
  function fill(template, words) {
    return template.replace(/\{(type|region|code)\}/g, function (_, key) {
      return words[key] === undefined ? "" : String(words[key]);
    });
  }

  function bilingual(entry, words) {
    const e = pair(entry);
    return { zh: fill(e.zh, words.zh), en: fill(e.en, words.en) };
  }

  function typeWords(type) {
    const known = labels.types[type];
    return known ? known : labels.unknown_type;
  }

  // A GB/T 2260 division code in words: province, then city, then district, as far as known.
  function regionWords(code) {
    if (typeof code !== "string" || !/^\d{6}$/.test(code)) return labels.unknown_region;
    const r = labels.regions;
    if (r[code] && code.slice(2) === "0000") return r[code];
    if (r[code] && !r[code.slice(0, 2)]) return r[code];
    const parts = [];
    const province = r[code.slice(0, 2)];
    if (province) parts.push(province);
    if (code.slice(2, 4) !== "00" && r[code.slice(0, 4)]) parts.push(r[code.slice(0, 4)]);
    if (code.slice(4) !== "00" && r[code]) parts.push(r[code]);
    if (parts.length === 0) return { zh: "行政区划 " + code, en: "division " + code };
    return {
      zh: parts.map(function (p) { return p.zh; }).join(""),
      en: parts.slice().reverse().map(function (p) { return p.en; }).join(", "),
    };
  }

  function stepLine(step, words) {
    if (step.status === "ok") return bilingual(labels.ok_lines[String(step.step)], words);
    if (step.status === "skipped") return bilingual(labels.skipped_line, words);
    const code = typeof step.code === "string" ? step.code : "";
    const withCode = {
      zh: Object.assign({}, words.zh, { code: code }),
      en: Object.assign({}, words.en, { code: code }),
    };
    if (labels.codes[code]) return bilingual(labels.codes[code], withCode);
    const generic = step.status === "failed" ? labels.failed_line : labels.unchecked_line;
    return bilingual(generic, withCode);
  }

  function showInputError(zh, en, detail) {
    const box = byId("input-error");
    box.replaceChildren(el("span", null, zh), el("span", "en", en));
    if (detail) box.append(el("div", "detail", detail));
    box.hidden = false;
  }

  function addAbout(list, zh, en, value) {
    const dt = el("dt", null, zh);
    dt.append(el("span", "en", en));
    list.append(dt, el("dd", null, value));
  }

  function renderAbout(report, words) {
    const list = byId("about");
    list.replaceChildren();
    addAbout(list, "证照类型", "Type", words.zh.type + " · " + words.en.type);
    if (report.region) addAbout(list, "地区", "Region", words.zh.region + " · " + words.en.region);
    if (report.credential_id) addAbout(list, "证照编号", "Credential id", report.credential_id);
    addAbout(list, "核验时间", "Checked at", report.checked_at || "");
    if (report.as_of) addAbout(list, "核验日期", "As of", report.as_of);
    const chain = report.chain || {};
    if (chain.hash) {
      const where = "#" + chain.height + " · " + String(chain.hash).slice(0, 16) + "… · " + chain.time;
      addAbout(list, "登记数据", "Registry checkpoint", where);
    }
  }

  function renderStatus(report) {
    const successorBox = byId("successor");
    const encumbranceBox = byId("encumbrances");
    successorBox.hidden = true;
    encumbranceBox.hidden = true;
    const status = (report.steps || []).find(function (s) { return s.step === 6; });
    const details = (status && status.details) || {};
    if (typeof details.successor === "string") {
      successorBox.replaceChildren(
        el("strong", null, "已由新证照替换："),
        el("span", "en", "Replaced by:"),
        el("div", "successor-id", details.successor)
      );
      successorBox.hidden = false;
    }
    const list = Array.isArray(details.encumbrances) ? details.encumbrances : [];
    if (list.length > 0) {
      const items = el("ul");
      list.forEach(function (e) {
        const kind = labels.encumbrance_kinds[e.kind] || { zh: String(e.kind), en: String(e.kind) };
        const parts = [kind.zh + " · " + kind.en];
        if (e.holder) parts.push(String(e.holder));
        if (e.description) parts.push(String(e.description));
        items.append(el("li", null, parts.join(" — ")));
      });
      const title = el("strong", null, "权利负担（" + list.length + "）");
      title.append(el("span", "en", "Encumbrances"));
      encumbranceBox.replaceChildren(title, items);
      encumbranceBox.hidden = false;
    }
  }

  function renderSteps(report, words) {
    const list = byId("steps");
    list.replaceChildren();
    (report.steps || []).forEach(function (step) {
      const name = pair(labels.steps[String(step.step)]);
      const status = pair(labels.statuses[step.status]);
      const line = stepLine(step, words);
      const item = el("li", "step " + step.status);
      item.dataset.step = String(step.step);
      item.dataset.status = String(step.status);
      const title = el("div", "step-title");
      title.append(el("span", "badge " + step.status, status.zh + " " + status.en));
      title.append(el("span", null, "(" + step.step + ") " + name.zh), el("span", "en", name.en));
      item.append(title, el("div", "line-zh", line.zh), el("div", "line-en en", line.en));
      const detail = (step.code ? step.code + ": " : "") + (step.message || "");
      if (detail) item.append(el("div", "detail", detail));
      list.append(item);
    });
  }

  function render(report, signed) {
    byId("input-error").hidden = true;
    byId("disclosed").hidden = true;
    const type = typeWords(report.credential_type);
    const region = regionWords(report.region);
    const words = { zh: { type: type.zh, region: region.zh }, en: { type: type.en, region: region.en } };
    const verdict = pair(labels.verdicts[report.verdict]);
    const verdictLine = pair(labels.verdict_lines[report.verdict]);
    const box = byId("verdict");
    box.className = "verdict " + (labels.verdicts[report.verdict] ? report.verdict : "invalid");
    box.dataset.verdict = String(report.verdict);
    byId("verdict-zh").textContent = verdict.zh;
    byId("verdict-en").textContent = verdict.en;
    byId("verdict-line-zh").textContent = verdictLine.zh;
    byId("verdict-line-en").textContent = verdictLine.en;
    renderAbout(report, words);
    renderStatus(report);
    renderSteps(report, words);
    receipt = signed && typeof signed === "object" ? signed : null;
    byId("download").hidden = receipt === null;
    byId("receipt-by").textContent = receipt ? "签名 Signed by " + receipt.issuer : "";
    byId("result").hidden = false;
  }

  function problemText(body) {
    const code = body && typeof body.code === "string" ? body.code : "";
    const known = labels.codes[code];
    return {
      zh: known ? known.zh : "无法读取：这不是一份可核验的证照。",
      en: known ? known.en : "Could not read this: it is not a credential that can be checked.",
      detail: (code ? code + ": " : "") + (body && body.detail ? body.detail : ""),
    };
  }

  async function verify() {
    stopPolling();
    const text = byId("document").value.trim();
    byId("result").hidden = true;
    let parsed;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      showInputError("这不是 JSON 文本。", "This is not JSON text.");
      return;
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      showInputError("请粘贴一份证照（一个 JSON 对象）。", "Paste one credential (a JSON object).");
      return;
    }
    // The pasted text is sent as it stands (not re-serialized), so the server judges exactly
    // the bytes the clerk was given; it is one JSON object, so wrapping it is safe.
    const member = parsed.format === BUNDLE_FORMAT ? "offlineBundle" : "verifiableCredential";
    const options = {};
    const asOf = byId("asof").value;
    if (/^\d{4}-\d{2}-\d{2}$/.test(asOf)) options.asOf = asOf + "T00:00:00Z";
    const body = "{" + JSON.stringify(member) + ":" + text + ',"options":' +
      JSON.stringify(options) + "}";
    let answer;
    let data;
    try {
      answer = await fetch("/credentials/verify", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: body,
        credentials: "same-origin",
        cache: "no-store",
      });
      data = await answer.json();
    } catch (err) {
      showInputError("无法连接核验服务。", "The verification service did not answer.");
      return;
    }
    if (answer.status === 200 || answer.status === 422) {
      render(data, data.receipt);
    } else if (answer.status === 503 && data && data.report) {
      render(data.report, data.receipt);
    } else {
      const problem = problemText(data);
      showInputError(problem.zh, problem.en, problem.detail);
    }
  }

  // OpenID4VP (cross-device): the requester asks this verifier for a presentation request with
  // its API key, shows the QR code the verifier made, and polls for the answer (see
  // verifier/README.md). The key stays in this page's memory; it is sent only to this service.
  function walletStatus(entry) {
    const e = pair(entry);
    byId("wallet-status").replaceChildren(el("span", null, e.zh), el("span", "en", e.en));
  }

  function stopPolling() {
    if (polling !== null) clearInterval(polling);
    polling = null;
  }

  function fillTypes() {
    const select = byId("wallet-type");
    Object.keys(labels.types).forEach(function (type) {
      const option = el("option", null, labels.types[type].zh + " · " + labels.types[type].en);
      option.value = type;
      select.append(option);
    });
  }

  function showDisclosed(claims) {
    const names = claims && typeof claims === "object" ? Object.keys(claims) : [];
    if (names.length === 0) return;
    const box = byId("disclosed");
    const title = el("strong", null, labels.wallet.disclosed.zh);
    title.append(el("span", "en", labels.wallet.disclosed.en));
    const list = el("dl");
    names.forEach(function (name) {
      const value = claims[name];
      list.append(el("dt", null, name));
      list.append(el("dd", null, typeof value === "string" ? value : JSON.stringify(value)));
    });
    box.replaceChildren(title, list);
    box.hidden = false;
  }

  function showAnswer(data) {
    byId("qr-box").hidden = true;
    walletStatus(labels.wallet.answered);
    const presentation = data.presentation && typeof data.presentation === "object"
      ? data.presentation : {};
    const reports = Array.isArray(presentation.credentials) ? presentation.credentials : [];
    const report = Object.assign({ steps: [] }, reports[0] || {}, { verdict: data.verdict });
    render(report, null);
    if (data.verdict !== "valid" && typeof data.code === "string") {
      const problem = problemText({ code: data.code, detail: data.message });
      showInputError(problem.zh, problem.en, problem.detail);
    }
    if (data.verdict === "valid") showDisclosed(data.claims);
  }

  async function poll(id, key) {
    let answer;
    let data;
    try {
      answer = await fetch("/presentation-requests/" + encodeURIComponent(id), {
        headers: { Accept: "application/json", Authorization: "Bearer " + key },
        credentials: "same-origin",
        cache: "no-store",
      });
      data = await answer.json();
    } catch (err) {
      return; // The next tick asks again.
    }
    if (answer.status !== 200) {
      stopPolling();
      const problem = problemText(data);
      showInputError(problem.zh, problem.en, problem.detail);
      return;
    }
    if (data.status === "pending") return;
    stopPolling();
    if (data.status === "expired") {
      byId("qr-box").hidden = true;
      walletStatus(labels.wallet.expired);
      return;
    }
    showAnswer(data);
  }

  async function ask() {
    stopPolling();
    byId("result").hidden = true;
    byId("input-error").hidden = true;
    byId("qr-box").hidden = true;
    const key = byId("api-key").value.trim();
    const body = { credentialType: byId("wallet-type").value, claims: [] };
    let answer;
    let data;
    try {
      answer = await fetch("/presentation-requests", {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          Authorization: "Bearer " + key,
        },
        body: JSON.stringify(body),
        credentials: "same-origin",
        cache: "no-store",
      });
      data = await answer.json();
    } catch (err) {
      showInputError("无法连接核验服务。", "The verification service did not answer.");
      return;
    }
    const png = data && typeof data.qrPng === "string" ? data.qrPng : "";
    if (answer.status !== 201 || !png.startsWith("data:image/png;base64,")) {
      walletStatus(labels.wallet.refused);
      const problem = problemText(data);
      showInputError(problem.zh, problem.en, problem.detail);
      return;
    }
    byId("qr").src = png;
    byId("qr-uri").textContent = String(data.uri);
    byId("qr-box").hidden = false;
    walletStatus(labels.wallet.waiting);
    const id = String(data.id);
    polling = setInterval(function () { poll(id, key); }, POLL_MS);
  }

  function download() {
    if (!receipt) return;
    const blob = new Blob([JSON.stringify(receipt, null, 2) + "\n"], { type: "application/json" });
    const link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    const id = String(receipt.id || "receipt").replace(/[^A-Za-z0-9-]/g, "").slice(-36);
    link.download = "ecert-receipt-" + id + ".json";
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(link.href); }, 10000);
  }

  async function readFile(file) {
    if (!file) return;
    if (file.size > 1024 * 1024) {
      showInputError("文件太大。", "The file is too large.");
      return;
    }
    byId("document").value = await file.text();
    await verify();
  }

  function wire() {
    byId("verify").addEventListener("click", verify);
    byId("ask").addEventListener("click", ask);
    byId("download").addEventListener("click", download);
    byId("clear").addEventListener("click", function () {
      byId("document").value = "";
      byId("result").hidden = true;
      byId("input-error").hidden = true;
      receipt = null;
      stopPolling();
    });
    byId("file").addEventListener("change", function (event) {
      readFile(event.target.files[0]);
    });
    const drop = byId("drop");
    drop.addEventListener("dragover", function (event) {
      event.preventDefault();
      drop.classList.add("over");
    });
    drop.addEventListener("dragleave", function () { drop.classList.remove("over"); });
    drop.addEventListener("drop", function (event) {
      event.preventDefault();
      drop.classList.remove("over");
      readFile(event.dataTransfer.files[0]);
    });
    document.body.dataset.ready = "true";
  }

  async function start() {
    const answer = await fetch("/ui/labels.json", { credentials: "same-origin" });
    labels = await answer.json();
    fillTypes();
    wire();
  }

  start();
})();
