package provider

import (
	"html/template"

	"github.com/oots-go/oots/internal/ui"
)

// pageTemplate renders every page of the preview space: one layout (skip
// link, language switch, headings in order), the content chosen by Key.
var pageTemplate = template.Must(template.Must(template.New("page").Parse(ui.Fragments)).Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} – {{.T "site"}}</title>
<link rel="stylesheet" href="/ui.css">
<link rel="stylesheet" href="/preview.css">
<script src="/ui-time.js" defer></script>
</head>
<body>
{{template "ui.skip" .Chrome}}
<header class="site"><div class="wrap bar">
{{template "ui.brand" .Chrome}}
{{template "ui.langs" .Chrome}}
</div></header>
<main id="main" tabindex="-1"><div class="wrap">
{{template "ui.steps" .Steps}}
<h1>{{.T (print .Key ".title")}}</h1>
{{- if eq .Key "start"}}
{{- with .Ask}}
<dl class="ask">
{{- if .Requester}}<dt>{{$.T "ask.who"}}</dt><dd>{{.Requester}}{{if .Country}} ({{.Country}}){{end}}</dd>{{end}}
{{- if .Procedure}}<dt>{{$.T "ask.procedure"}}</dt><dd>{{.Procedure}}</dd>{{end}}
{{- if .Evidence}}<dt>{{$.T "ask.evidence"}}</dt><dd>{{.Evidence}}</dd>{{end}}
</dl>
{{- end}}
<p>{{.T "start.text"}}</p>
<p><a href="/preview/{{.Token}}/login?lang={{.Lang}}">{{.T "start.login"}}</a></p>
{{- else if eq .Key "preview"}}
<p>{{.T "preview.text"}}</p>
{{if gt (len .Docs) 1}}<p>{{printf (.T "preview.all") (len .Docs)}}</p>
<ol class="sent">{{range .Docs}}<li><a href="#doc{{.N}}">{{.Document.Title}}</a> ({{.RoleLabel}}, {{.Kind}})</li>
{{end}}</ol>
{{end}}{{range .Docs}}
<section aria-labelledby="doc{{.N}}" data-role="{{.Role}}">
<h2 id="doc{{.N}}">{{$.T "doc"}} {{.N}}: {{.Document.Title}}</h2>
<p class="role">{{.RoleLabel}}</p>
<dl>
<dt>{{$.T "meta.issued"}}</dt><dd>{{.Document.IssuingDate}}</dd>
<dt>{{$.T "meta.issuer"}}</dt><dd>{{.Issuer}}</dd>
<dt>{{$.T "meta.format"}}</dt><dd>{{.Kind}}</dd>
{{if .Document.Language}}<dt>{{$.T "meta.lang"}}</dt><dd>{{.LanguageName}}</dd>{{end}}
{{if .Document.ValidTo}}<dt>{{$.T "meta.valid"}}</dt><dd>{{.Document.ValidFrom}} – {{.Document.ValidTo}}</dd>{{end}}
</dl>
{{if .Expired}}<p class="notice expired">{{.Expired}}</p>{{end}}
<details class="tech"><summary>{{$.T "meta.tech"}}</summary>
<p>{{.Document.Format}}{{if .Document.ConformsTo}} ({{.Document.ConformsTo}}){{end}}{{if .Document.Language}}, {{.Document.Language}}{{end}}</p>
</details>
{{if .PDF}}<object data="{{.Href}}" type="application/pdf" title="{{.Document.Title}}" tabindex="0">
<p>{{$.T "nopdf"}} <a href="{{.Href}}">{{$.T "open"}}</a></p>
</object>
<p><a href="{{.Href}}">{{$.T "open"}} ({{.Document.Title}})</a></p>
{{else}}<p><a href="{{.Href}}">{{$.T "open"}} ({{.Document.Title}})</a></p>{{end}}
{{if .Document.Fields}}<table>
<caption>{{$.T "meta.content"}}</caption>
<thead><tr><th scope="col">{{$.T "field"}}</th><th scope="col">{{$.T "value"}}</th></tr></thead>
<tbody>{{range .Document.Fields}}<tr><th scope="row">{{.Label}}</th><td>{{.Value}}</td></tr>
{{end}}</tbody>
</table>{{end}}
</section>
{{end}}
<form method="post" action="/preview/{{.Token}}/decide">
<fieldset>
<legend><h2>{{.T "decide"}}</h2></legend>
<input type="hidden" name="csrf" value="{{.CSRF}}">
<input type="hidden" name="lang" value="{{.Lang}}">
{{if .Message}}<p class="notice" role="alert">{{.T .Message}}</p>
{{end}}{{if .ConsentOffer}}<fieldset class="consent">
<legend>{{.T "consent.legend"}}</legend>
<p class="hint" id="consent-hint">{{.T "consent.hint"}}</p>
<p class="consent"><input type="checkbox" aria-describedby="consent-hint" id="consent" name="consent" value="yes"{{if .ConsentChecked}} checked{{end}}> <label for="consent">{{.ConsentOffer}}</label></p>
<fieldset class="procedures">
<legend>{{.T "consent.procedures"}}</legend>
{{range .ConsentProcedures}}<p><input type="checkbox" id="procedure-{{.Code}}" name="procedure" value="{{.Code}}"{{if .Checked}} checked{{end}}> <label for="procedure-{{.Code}}">{{if .Name}}{{.Name}} <span class="code">({{.Code}})</span>{{else}}{{.Code}}{{end}}</label></p>
{{end}}</fieldset>
</fieldset>
{{end}}<p class="actions"><button class="approve" type="submit" name="decision" value="approve">{{.T "approve"}}</button>
<button class="secondary refuse" type="submit" name="decision" value="refuse">{{.T "refuse"}}</button></p>
</fieldset>
</form>
{{- else if eq .Key "consents"}}
{{- if not .LoggedIn}}
<p>{{.T "consents.text"}}</p>
<p><a href="/consents/login?lang={{.Lang}}">{{.T "consents.login"}}</a></p>
{{- else}}
{{if .Message}}<p class="notice" role="status">{{.T .Message}}</p>{{end}}
<h2>{{.T "consents.given"}}</h2>
{{if .Consents}}<table class="reflow">
<caption>{{.T "consents.given"}}</caption>
<thead><tr><th scope="col">{{.T "consents.requester"}}</th><th scope="col">{{.T "consents.procedures"}}</th><th scope="col">{{.T "consents.evidence"}}</th><th scope="col">{{.T "consents.until"}}</th><th scope="col">{{.T "consents.status"}}</th></tr></thead>
<tbody>{{range .Consents}}<tr><td>{{.Requester}}</td><td data-label="{{$.T "consents.procedures"}}">{{template "procedures" .}}</td><td data-label="{{$.T "consents.evidence"}}">{{.Evidence}}</td><td data-label="{{$.T "consents.until"}}">{{.Until}}</td><td data-label="{{$.T "consents.status"}}">{{.Status}}{{if .Valid}}
<form method="post" action="/consents/withdraw"><input type="hidden" name="csrf" value="{{$.CSRF}}"><input type="hidden" name="consent" value="{{.ID}}"><input type="hidden" name="lang" value="{{$.Lang}}"><button type="submit">{{$.T "consents.withdraw"}}<span class="vh"> {{.Evidence}} – {{.Requester}}</span></button></form>{{end}}</td></tr>
{{end}}</tbody>
</table>{{else}}<p>{{.T "consents.none"}}</p>{{end}}
<h2>{{.T "consents.sent"}}</h2>
{{if .Disclosures}}<table class="reflow">
<caption>{{.T "consents.sent"}}</caption>
<thead><tr><th scope="col">{{.T "consents.when"}}</th><th scope="col">{{.T "consents.requester"}}</th><th scope="col">{{.T "consents.procedure"}}</th><th scope="col">{{.T "consents.documents"}}</th><th scope="col">{{.T "consents.basis"}}</th></tr></thead>
<tbody>{{range .Disclosures}}<tr><td>{{.Sent}}</td><td data-label="{{$.T "consents.requester"}}">{{.Requester}}</td><td data-label="{{$.T "consents.procedure"}}">{{.Procedure}}{{with .Code}}<span class="code">{{.}}</span>{{end}}</td><td data-label="{{$.T "consents.documents"}}">{{.Documents}}</td><td data-label="{{$.T "consents.basis"}}">{{.Basis}}</td></tr>
{{end}}</tbody>
</table>{{else}}<p>{{.T "consents.nosent"}}</p>{{end}}
<p><a href="/consents?format=json">{{.T "consents.json"}}</a></p>
{{- end}}
{{- else if eq .Key "done"}}
<p role="status">{{if eq .Choice "approved"}}{{.T "done.approved"}}{{else}}{{.T "done.refused"}}{{end}}</p>
{{if .Message}}<p class="notice" role="alert">{{.T .Message}}</p>{{else}}<p>{{.T "done.back"}}</p>{{end}}
{{- else if eq .Key "withdraw"}}
{{- range .Consents}}
<dl class="ask">
<dt>{{$.T "consents.requester"}}</dt><dd>{{.Requester}}</dd>
<dt>{{$.T "consents.evidence"}}</dt><dd>{{.Evidence}}</dd>
<dt>{{$.T "consents.procedures"}}</dt><dd>{{template "procedures" .}}</dd>
<dt>{{$.T "consents.until"}}</dt><dd>{{.Until}}</dd>
</dl>
<p>{{$.T "withdraw.text"}}</p>
<form method="post" action="/consents/withdraw"><input type="hidden" name="csrf" value="{{$.CSRF}}"><input type="hidden" name="consent" value="{{.ID}}"><input type="hidden" name="lang" value="{{$.Lang}}"><input type="hidden" name="confirm" value="yes">
<button type="submit" class="refuse">{{$.T "withdraw.confirm"}}</button></form>
<p><a href="/consents">{{$.T "withdraw.cancel"}}</a></p>
{{- end}}
{{- else if eq .Key "about"}}
{{template "ui.sections" .Sections}}
{{- else}}
<p class="notice" role="alert">{{.T (print .Key ".text")}}</p>
{{- if ge .Status 400}}
<h2>{{.T "onward.title"}}</h2>
<ul>
<li>{{.T "onward.portal"}}</li>
<li><a href="/consents">{{.T "onward.consents"}}</a></li>
<li><a href="/about#contact">{{.T "onward.contact"}}</a></li>
</ul>
{{- end}}
{{- end}}
</div></main>
{{template "ui.footer" .Chrome}}
</body>
</html>
{{- define "procedures"}}{{if eq (len .Procedures) 1}}{{index .Procedures 0}}{{else}}<ul class="names">{{range .Procedures}}<li>{{.}}</li>{{end}}</ul>{{end}}{{with .Codes}}<span class="code">{{.}}</span>{{end}}{{end}}
`))
