package provider

import "html/template"

// pageTemplate renders every page of the preview space: one layout (skip
// link, language switch, headings in order), the content chosen by Key.
var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.T (print .Key ".title")}} – {{.T "site"}}</title>
<link rel="stylesheet" href="/preview.css">
</head>
<body>
<a class="skip" href="#main">{{.T "skip"}}</a>
<header>
<p>{{.T "site"}}</p>
<nav aria-label="{{.T "language"}}"><ul>
{{range .Languages}}<li><a href="{{.Href}}" hreflang="{{.Code}}" lang="{{.Code}}"{{if .Current}} aria-current="true"{{end}}>{{.Name}}</a></li>
{{end}}</ul></nav>
</header>
<main id="main">
<h1>{{.T (print .Key ".title")}}</h1>
{{- if eq .Key "start"}}
<p>{{.T "start.text"}}</p>
<p><a href="/preview/{{.Token}}/login?lang={{.Lang}}">{{.T "start.login"}}</a></p>
{{- else if eq .Key "preview"}}
<p>{{.T "preview.text"}}</p>
{{range .Docs}}
<section aria-labelledby="doc{{.N}}">
<h2 id="doc{{.N}}">{{$.T "doc"}} {{.N}}: {{.Document.Title}}</h2>
<dl>
<dt>{{$.T "meta.issued"}}</dt><dd>{{.Document.IssuingDate}}</dd>
<dt>{{$.T "meta.issuer"}}</dt><dd>{{.Issuer}}</dd>
<dt>{{$.T "meta.format"}}</dt><dd>{{.Document.Format}}{{if .Document.ConformsTo}} ({{.Document.ConformsTo}}){{end}}</dd>
{{if .Document.Language}}<dt>{{$.T "meta.lang"}}</dt><dd>{{.Document.Language}}</dd>{{end}}
{{if .Document.ValidTo}}<dt>{{$.T "meta.valid"}}</dt><dd>{{.Document.ValidFrom}} – {{.Document.ValidTo}}</dd>{{end}}
</dl>
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
<button class="approve" type="submit" name="decision" value="approve">{{.T "approve"}}</button>
<button class="refuse" type="submit" name="decision" value="refuse">{{.T "refuse"}}</button>
</fieldset>
</form>
{{- else if eq .Key "done"}}
<p role="status">{{if eq .Choice "approved"}}{{.T "done.approved"}}{{else}}{{.T "done.refused"}}{{end}}</p>
{{if .Message}}<p class="notice" role="alert">{{.T .Message}}</p>{{else}}<p>{{.T "done.back"}}</p>{{end}}
{{- else}}
<p class="notice" role="alert">{{.T (print .Key ".text")}}</p>
{{- end}}
</main>
</body>
</html>
`))
