package export

import (
	"bytes"
	"fmt"
	"html/template"

	"github.com/tunduk-kg/tunduk/catalog"
)

var page = template.Must(template.New("index").Funcs(template.FuncMap{
	"t": func(t catalog.Text) template.HTML { return tri(t) },
}).Parse(`<!DOCTYPE html>
<html lang="ky">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Organisation.Name.KY}} — Түндүк каталогу / каталог Түндүк / Tunduk catalog</title>
<style>
body{font-family:system-ui,sans-serif;max-width:70em;margin:2em auto;padding:0 1em;color:#222;line-height:1.4}
h1,h2,h3{line-height:1.2}.l{display:block}.l span{color:#666;font-size:.8em;margin-right:.4em}
table{border-collapse:collapse;width:100%;margin:.5em 0 1em}th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}code{font-size:.95em}.s{border:1px solid #ddd;border-radius:4px;padding:0 1em;margin:1em 0}
.pd{color:#8a4b00}
</style>
</head>
<body>
<header>
<h1>{{t .Organisation.Name}}</h1>
<p>X-Road: <code>{{.Organisation.ID}}</code>{{if .Organisation.INN}} · ИНН/ИСН/INN {{.Organisation.INN}}{{end}}{{if .Organisation.Website}} · <a href="{{.Organisation.Website}}">{{.Organisation.Website}}</a>{{end}}</p>
<p>{{t .Organisation.Address}}</p>
<p><a href="{{.JSONHref}}">catalog.json</a></p>
</header>

<h2>Маалыматтык системалар / Информационные системы / Information systems</h2>
{{range .Systems}}<section class="s" id="system-{{.Code}}">
<h3>{{t .Name}} <code>{{.ID}}</code></h3>
<p>{{t .Description}}</p>
<table><tr><th>Маалымат / Данные / Data</th><th>Формат / Format</th><th>Классификатор / Classifier</th></tr>
{{range .DataElements}}<tr><td>{{t .Name}}</td><td>{{.Format}}</td><td>{{with .Classifier}}<a href="#classifier-{{.}}">{{.}}</a>{{end}}</td></tr>
{{end}}</table>
{{if .PersonalDataElements}}<p class="pd">+ {{.PersonalDataElements}} персоналдык маалымат / персональные данные / personal data</p>{{end}}
<p><b>Идентификация / Identification:</b> {{t .Identification}}</p>
<p><b>Журнал / Журналирование / Logging:</b> {{t .Logging.What}} — {{.Logging.RetentionYears}} жыл / лет / years. {{t .Logging.Access}}</p>
{{if .Consumes}}<p><b>Керектейт / Потребляет / Consumes:</b></p><ul>
{{range .Consumes}}<li><code>{{.Service}}</code> — {{t .Purpose}}{{range .LegalBasis}}<br><small>{{t .Title}}, {{.Article}}</small>{{end}}</li>
{{end}}</ul>{{end}}
</section>
{{end}}

<h2>Кызматтар / Сервисы / Services</h2>
{{range .Services}}<section class="s" id="service-{{.Subsystem}}-{{.Code}}-{{.Version}}">
<h3>{{t .Title}}</h3>
<p><code>{{.ID}}</code> · {{.Protocol}}{{if .Method}} <code>{{.Method}} {{.Path}}</code>{{end}}</p>
<p>{{t .Description}}</p>
<h4>Кириш / Вход / Input</h4>
{{template "fields" .Input}}
<h4>Чыгыш / Выход / Output</h4>
{{template "fields" .Output}}
{{if .PersonalData}}<p class="pd">Кызмат персоналдык маалыматты иштетет / Сервис обрабатывает персональные данные / The service processes personal data ({{.PersonalDataFields}}).</p>{{end}}
<p><b>Укуктук негиз / Правовое основание / Legal basis:</b></p><ul>
{{range .LegalBasis}}<li>{{t .Title}}, {{.Article}}{{with .URL}} <a href="{{.}}">{{.}}</a>{{end}}</li>
{{end}}</ul>
<p><b>SLA:</b> {{.SLA.Availability}}% · {{.SLA.ResponseTime}}{{if .SLA.MaxRequestsPerSecond}} · {{.SLA.MaxRequestsPerSecond}} req/s{{end}}{{with .SLA.SupportHours}} · {{.}}{{end}}</p>
<p><b>Уруксат берилген керектөөчүлөр / Разрешённые потребители / Allowed consumers:</b> {{range $i, $c := .AllowedConsumers}}{{if $i}}, {{end}}<code>{{$c}}</code>{{end}}</p>
</section>
{{end}}

<h2>Классификаторлор / Классификаторы / Classifiers</h2>
{{range .Classifiers}}<section class="s" id="classifier-{{.Code}}">
<h3>{{t .Name}} <code>{{.Code}}</code></h3>
<p>{{.Owner}}{{with .Version}} · {{.}}{{end}}{{with .Source}} · {{.}}{{end}}</p>
{{if .Values}}<table><tr><th>Код / Code</th><th>Аталышы / Наименование / Name</th></tr>
{{range .Values}}<tr><td><code>{{.Code}}</code></td><td>{{t .Name}}</td></tr>
{{end}}</table>{{end}}
</section>
{{end}}
</body>
</html>
{{define "fields"}}{{if .}}<table><tr><th>Аты / Имя / Name</th><th>Түрү / Тип / Type</th><th>Мааниси / Значение / Meaning</th></tr>
{{range .}}{{template "field" .}}{{end}}</table>{{end}}{{end}}
{{define "field"}}<tr><td><code>{{.Name}}</code>{{if .Required}} *{{end}}{{if .Repeated}} []{{end}}{{with .In}} ({{.}}){{end}}</td><td>{{.Type}}{{with .Pattern}} <code>{{.}}</code>{{end}}{{with .Classifier}} <a href="#classifier-{{.}}">{{.}}</a>{{end}}</td><td>{{t .Title}}{{if .Fields}}{{template "fields" .Fields}}{{end}}</td></tr>
{{end}}`))

// tri renders a three-language text as three labelled lines.
func tri(t catalog.Text) template.HTML {
	var b bytes.Buffer
	for _, l := range []struct{ lang, s string }{{"ky", t.KY}, {"ru", t.RU}, {"en", t.EN}} {
		if l.s == "" {
			continue
		}
		fmt.Fprintf(&b, `<span class="l" lang="%s"><span>%s</span>%s</span>`, l.lang, l.lang, template.HTMLEscapeString(l.s))
	}
	return template.HTML(b.String())
}

// HTML renders the static catalog page; jsonHref is the link to the JSON
// document ("catalog.json" beside it, or "/catalog/catalog.json").
func (p *Catalog) HTML(jsonHref string) ([]byte, error) {
	var buf bytes.Buffer
	err := page.Execute(&buf, struct {
		*Catalog
		JSONHref string
	}{p, jsonHref})
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return buf.Bytes(), nil
}
