import type { StatusView } from '../status-view.js';
import { esc, renderFragment } from './fragment.js';

export { renderFragment };

const STYLE = `body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}h1{font-size:1.3em}h2{font-size:1.05em;margin-top:1.4em}
table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}th{background:#f3f3f3}
.role{font-weight:bold;padding:0 .4em;border-radius:3px}.role-MASTER{background:#c8f0c8}.role-BACKUP{background:#e4e4e4}
.role-FAULT,.role-STOP,.bad,.st-FATAL,.st-failed,.st-dead{color:#b00}.st-RUNNING,.st-ok,.st-running,.st-in-sync{color:#070}
.hold{background:#fff3c4;padding:.3em}.none{color:#777}#stale{color:#b00}`;

// Refreshes the content every 2 s from /status.html (server-rendered), with the token kept in
// the browser's session storage when the agent needs one.
const SCRIPT = `(function(){
var main=document.getElementById('main'),form=document.getElementById('login'),stale=document.getElementById('stale');
function token(){return sessionStorage.getItem('supha-token')}
function refresh(){
  var h=token()?{Authorization:'Bearer '+token()}:{};
  fetch('/status.html',{headers:h,cache:'no-store'}).then(function(r){
    if(r.status===401){form.hidden=false;return}
    if(!r.ok)throw new Error('HTTP '+r.status);
    return r.text().then(function(t){form.hidden=true;main.innerHTML=t;stale.textContent=''})
  }).catch(function(e){stale.textContent='agent not answering: '+e.message})
}
form.addEventListener('submit',function(e){e.preventDefault();sessionStorage.setItem('supha-token',form.elements.token.value);refresh()});
setInterval(refresh,2000);if(!main.firstElementChild)refresh();
})();`;

// GET /: the status page. `view` is undefined when the request had no valid token: the page then
// asks for it and loads the content itself.
export function renderPage(view: StatusView | undefined, node: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>supha · ${esc(node)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${STYLE}</style></head>
<body><h1>supha on ${esc(node)}</h1><p id="stale"></p>
<form id="login"${view === undefined ? '' : ' hidden'}><label>API token <input name="token" type="password" autocomplete="off"></label> <button>show</button></form>
<main id="main">${view === undefined ? '' : renderFragment(view)}</main>
<script>${SCRIPT}</script></body></html>
`;
}
