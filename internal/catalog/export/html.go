package export

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"slices"
	"strings"

	"github.com/tunduk-kg/tunduk/catalog"
)

// Langs are the languages of the public page, the default (Kyrgyz, the
// state language) first.
var Langs = []string{"ky", "ru", "en"}

// PagePath is where the page in lang lives in an export directory, and
// below the handler's prefix: index.html for Kyrgyz, ru/index.html and
// en/index.html.
func PagePath(lang string) string {
	if lang == Langs[0] {
		return "index.html"
	}
	return lang + "/index.html"
}

// Links are the hrefs a page uses for the language switch and the JSON
// document: relative file names in an export, absolute paths when served.
type Links struct {
	Page  map[string]string // by language
	JSON  string
	Style string // the stylesheet, StylePath
}

// StylePath is where the pages' one stylesheet lives in an export
// directory, and below the handler's prefix.
const StylePath = "style.css"

//go:embed style.css
var styleCSS []byte

// fileLinks are the relative links from the page in lang of an export
// directory, so the pages work from disk (file://) as well as from any
// web server.
func fileLinks(lang string) Links {
	up := ""
	if lang != Langs[0] {
		up = "../"
	}
	l := Links{Page: map[string]string{}, JSON: up + "catalog.json", Style: up + StylePath}
	for _, o := range Langs {
		l.Page[o] = up + PagePath(o)
	}
	return l
}

// words are the page's own words: each label in the languages of Langs,
// in that order. Retention and the PersonalWithheld labels take a number
// (%d).
var words = map[string][]string{
	"LangName":                 {"Кыргызча", "Русский", "English"},
	"Title":                    {"Түндүк системасындагы кызматтар каталогу", "Каталог сервисов в системе Түндүк", "Catalog of services in Tunduk"},
	"Intro":                    {"Бул уюм Түндүк (мамлекеттик маалымат алмашуу системасы) аркылуу берген жана колдонгон кызматтар.", "Сервисы, которые эта организация предоставляет и использует через Түндүк (систему межведомственного электронного взаимодействия).", "The services this organisation provides and uses through Tunduk, the Kyrgyz Republic's data-exchange system."},
	"Languages":                {"Тил", "Язык", "Language"},
	"Services":                 {"Кызматтар", "Сервисы", "Services"},
	"Systems":                  {"Маалыматтык системалар", "Информационные системы", "Information systems"},
	"Classifiers":              {"Классификаторлор", "Классификаторы", "Classifiers"},
	"LegalBasis":               {"Укуктук негиз", "Правовое основание", "Legal basis"},
	"Input":                    {"Суроо-талаптагы маалыматтар", "Данные в запросе", "Data in the request"},
	"Output":                   {"Жооптогу маалыматтар", "Данные в ответе", "Data in the answer"},
	"Field":                    {"Талаа", "Поле", "Field"},
	"Meaning":                  {"Мааниси", "Значение", "Meaning"},
	"Type":                     {"Түрү", "Тип", "Type"},
	"PersonalWithheld":         {"Жеке маалыматтар бул бетте көрсөтүлбөйт: %d талаа жашырылган.", "Персональные данные на этой странице не показываются: скрыто полей — %d.", "Personal data is not shown on this page: %d field(s) withheld."},
	"PersonalElementsWithheld": {"Жеке маалыматтар бул бетте көрсөтүлбөйт: %d маалымат жашырылган.", "Персональные данные на этой странице не показываются: скрыто элементов — %d.", "Personal data is not shown on this page: %d data element(s) withheld."},
	"NoPersonal":               {"Кызмат жеке маалыматтарды иштетпейт.", "Сервис не обрабатывает персональные данные.", "The service does not process personal data."},
	"Technical":                {"Техникалык маалымат", "Технические сведения", "Technical details"},
	"XRoadID":                  {"X-Road идентификатору", "Идентификатор X-Road", "X-Road identifier"},
	"Protocol":                 {"Протокол", "Протокол", "Protocol"},
	"Availability":             {"Жеткиликтүүлүк", "Доступность", "Availability"},
	"ResponseTime":             {"Жооп берүү убактысы", "Время ответа", "Response time"},
	"RateLimit":                {"Секундасына суроо-талаптар", "Запросов в секунду", "Requests per second"},
	"SupportHours":             {"Колдоо көрсөтүү убактысы", "Часы поддержки", "Support hours"},
	"AllowedConsumers":         {"Уруксат берилген керектөөчүлөр", "Разрешённые потребители", "Allowed consumers"},
	"Data":                     {"Маалыматтар", "Данные", "Data"},
	"Format":                   {"Формат", "Формат", "Format"},
	"Identification":           {"Колдонуучуларды аныктоо", "Идентификация пользователей", "How users are identified"},
	"Logging":                  {"Журналга жазуу", "Журналирование", "Logging"},
	"Retention":                {"Сакталуу мөөнөтү: %d жыл.", "Срок хранения: %d г.", "Kept for %d year(s)."},
	"LogAccess":                {"Журналга кирүү", "Доступ к журналу", "Access to the log"},
	"Consumes":                 {"Колдонгон кызматтар", "Используемые сервисы", "Services it uses"},
	"Provides":                 {"Берген кызматтар", "Предоставляемые сервисы", "Services it provides"},
	"Purpose":                  {"Максаты", "Цель", "Purpose"},
	"Service":                  {"Кызмат", "Сервис", "Service"},
	"Code":                     {"Коду", "Код", "Code"},
	"Name":                     {"Аталышы", "Наименование", "Name"},
	"Source":                   {"Булагы", "Источник", "Source"},
	"Owner":                    {"Ээси", "Владелец", "Owner"},
	"JSON":                     {"Машиналар үчүн каталог (JSON)", "Каталог для машин (JSON)", "Catalog for machines (JSON)"},
	"Website":                  {"Сайт", "Сайт", "Website"},
	"INN":                      {"ИСН", "ИНН", "INN"},
}

// labels are the page's own words in one language, by label; the template
// reads them as .W.Label (an unknown label is an error, not an empty text).
type labels map[string]string

// labelsIn returns the words in lang, false for a language not in Langs.
func labelsIn(lang string) (labels, bool) {
	i := slices.Index(Langs, lang)
	if i < 0 {
		return nil, false
	}
	w := labels{}
	for k, t := range words {
		w[k] = t[i]
	}
	return w, true
}

// pick returns t in lang, else in the first language that has it.
func pick(t catalog.Text, lang string) string {
	by := map[string]string{"ky": t.KY, "ru": t.RU, "en": t.EN}
	if s := by[lang]; s != "" {
		return s
	}
	for _, l := range Langs {
		if by[l] != "" {
			return by[l]
		}
	}
	return ""
}

var page = template.Must(template.New("page").Option("missingkey=error").Funcs(template.FuncMap{
	"f":    func(format string, n int) string { return fmt.Sprintf(format, n) },
	"args": func(p *pageData, v any) tmplArgs { return tmplArgs{P: p, Items: v} },
}).Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.W.Title}}: {{.T .Organisation.Name}}</title>
{{range .Alternates}}<link rel="alternate" hreflang="{{.Lang}}" href="{{.Href}}">
{{end}}<link rel="stylesheet" href="{{.Links.Style}}">
</head>
<body>
<nav class="langs" aria-label="{{.W.Languages}}">{{range .Switch}}{{if .Current}}<strong lang="{{.Lang}}" aria-current="page">{{.Name}}</strong>{{else}}<a href="{{.Href}}" hreflang="{{.Lang}}" lang="{{.Lang}}">{{.Name}}</a>{{end}}
{{end}}</nav>
<header>
<p class="muted">{{.W.Title}}</p>
<h1>{{.T .Organisation.Name}}</h1>
<p>{{.T .Organisation.Address}}{{if .Organisation.Website}}<br>{{.W.Website}}: <a href="{{.Organisation.Website}}">{{.Organisation.Website}}</a>{{end}}</p>
<p>{{.W.Intro}}</p>
</header>
<main>
<h2 id="services">{{.W.Services}}</h2>
{{range .Services}}<section class="card" id="service-{{.Subsystem}}-{{.Code}}-{{.Version}}">
<h3>{{$.T .Title}}</h3>
<p>{{$.T .Description}}</p>
<h4>{{$.W.LegalBasis}}</h4>
{{template "acts" (args $ .LegalBasis)}}
{{if .PersonalData}}<p class="pd">{{f $.W.PersonalWithheld .PersonalDataFields}}</p>{{else}}<p>{{$.W.NoPersonal}}</p>{{end}}
{{if .Input}}<h4>{{$.W.Input}}</h4>{{template "fields" (args $ .Input)}}{{end}}
{{if .Output}}<h4>{{$.W.Output}}</h4>{{template "fields" (args $ .Output)}}{{end}}
<details><summary>{{$.W.Technical}}</summary>
<p>{{$.W.XRoadID}}: <code>{{.ID}}</code><br>{{$.W.Protocol}}: {{.Protocol}}{{if .Method}} <code>{{.Method}} {{.Path}}</code>{{end}}<br>
{{$.W.Availability}}: {{.SLA.Availability}}% · {{$.W.ResponseTime}}: {{.SLA.ResponseTime}}{{if .SLA.MaxRequestsPerSecond}} · {{$.W.RateLimit}}: {{.SLA.MaxRequestsPerSecond}}{{end}}{{with .SLA.SupportHours}}<br>{{$.W.SupportHours}}: {{.}}{{end}}</p>
{{if .AllowedConsumers}}<p>{{$.W.AllowedConsumers}}:</p><ul>{{range .AllowedConsumers}}<li><code>{{.}}</code></li>{{end}}</ul>{{end}}
</details>
</section>
{{end}}
<h2 id="systems">{{.W.Systems}}</h2>
{{range .Systems}}<section class="card" id="system-{{.Code}}">
<h3>{{$.T .Name}}</h3>
<p>{{$.T .Description}}</p>
{{if .DataElements}}<h4>{{$.W.Data}}</h4><ul>{{range .DataElements}}<li>{{$.T .Name}} <span class="muted">({{.Format}}{{with .Classifier}}, <a href="#classifier-{{.}}">{{.}}</a>{{end}})</span></li>{{end}}</ul>{{end}}
{{if .PersonalDataElements}}<p class="pd">{{f $.W.PersonalElementsWithheld .PersonalDataElements}}</p>{{end}}
{{with $.T .Identification}}<h4>{{$.W.Identification}}</h4><p>{{.}}</p>{{end}}
<h4>{{$.W.Logging}}</h4>
<p>{{$.T .Logging.What}} {{f $.W.Retention .Logging.RetentionYears}}</p>
{{with $.T .Logging.Access}}<p>{{$.W.LogAccess}}: {{.}}</p>{{end}}
{{if .Consumes}}<h4>{{$.W.Consumes}}</h4><ul>
{{range .Consumes}}<li>{{with $.T .Purpose}}<p>{{.}}</p>{{end}}{{if .LegalBasis}}<p>{{$.W.LegalBasis}}:</p>{{template "acts" (args $ .LegalBasis)}}{{end}}<p class="muted">{{$.W.Service}}: <code>{{.Service}}</code></p></li>
{{end}}</ul>{{end}}
{{if .Services}}<h4>{{$.W.Provides}}</h4><ul>{{range .Services}}<li>{{$.ServiceTitle .}}</li>{{end}}</ul>{{end}}
<p class="muted">{{$.W.XRoadID}}: <code>{{.ID}}</code></p>
</section>
{{end}}
<h2 id="classifiers">{{.W.Classifiers}}</h2>
{{range .Classifiers}}<section class="card" id="classifier-{{.Code}}">
<h3>{{$.T .Name}}</h3>
<p class="muted">{{$.W.Code}}: <code>{{.Code}}</code> · {{$.W.Owner}}: {{.Owner}}{{with .Version}} · {{.}}{{end}}{{with .Source}}<br>{{$.W.Source}}: {{.}}{{end}}</p>
{{if .Values}}<table><thead><tr><th scope="col" style="width:30%">{{$.W.Code}}</th><th scope="col">{{$.W.Name}}</th></tr></thead><tbody>
{{range .Values}}<tr><td><code>{{.Code}}</code></td><td>{{$.T .Name}}</td></tr>
{{end}}</tbody></table>{{end}}
</section>
{{end}}
</main>
<footer><p class="muted"><a href="{{.Links.JSON}}" type="application/json">{{.W.JSON}}</a> · X-Road: <code>{{.Organisation.ID}}</code>{{if .Organisation.INN}} · {{.W.INN}} {{.Organisation.INN}}{{end}}</p></footer>
</body>
</html>
{{define "acts"}}<ul>{{range .Items}}<li>{{$.P.T .Title}}{{if .Article}}, {{.Article}}{{end}}{{with .URL}} (<a href="{{.}}">{{.}}</a>){{end}}</li>{{end}}</ul>{{end}}
{{define "fields"}}<dl class="fields">{{range .Items}}{{template "field" (args $.P .)}}{{end}}</dl>{{end}}
{{define "field"}}<dt>{{$.P.T .Items.Title}}</dt><dd><span class="muted"><code>{{.Items.Name}}</code>, {{.Items.Type}}{{if .Items.Repeated}} []{{end}}{{with .Items.Classifier}}, <a href="#classifier-{{.}}">{{.}}</a>{{end}}</span>{{if .Items.Fields}}<dl class="fields">{{range .Items.Fields}}{{template "field" (args $.P .)}}{{end}}</dl>{{end}}</dd>{{end}}`))

// pageData is what the template renders: the catalog, the language and
// its words, and the links.
type pageData struct {
	*Catalog
	Lang  string
	W     labels
	Links Links
}

// T is a text in the page's language.
func (d *pageData) T(t catalog.Text) string { return pick(t, d.Lang) }

// ServiceTitle names a provided service by its title (its id when the
// catalog has no such service).
func (d *pageData) ServiceTitle(id string) string {
	for _, s := range d.Services {
		if s.ID == id {
			return d.T(s.Title)
		}
	}
	return id
}

type langLink struct {
	Lang, Name, Href string
	Current          bool
}

// Switch is the language switch: plain links, no script.
func (d *pageData) Switch() []langLink {
	var out []langLink
	for i, l := range Langs {
		out = append(out, langLink{Lang: l, Name: words["LangName"][i], Href: d.Links.Page[l], Current: l == d.Lang})
	}
	return out
}

// Alternates are the other languages' pages, for <link rel=alternate>.
func (d *pageData) Alternates() []langLink {
	var out []langLink
	for _, l := range d.Switch() {
		if !l.Current {
			out = append(out, l)
		}
	}
	return out
}

// tmplArgs passes the page and a value to a sub-template.
type tmplArgs struct {
	P     *pageData
	Items any
}

// Page renders the public catalog page in lang (one of Langs) with links.
func (p *Catalog) Page(lang string, links Links) ([]byte, error) {
	w, ok := labelsIn(lang)
	if !ok {
		return nil, fmt.Errorf("export: no page language %q (have %s)", lang, strings.Join(Langs, ", "))
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, &pageData{Catalog: p, Lang: lang, W: w, Links: links}); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return buf.Bytes(), nil
}
