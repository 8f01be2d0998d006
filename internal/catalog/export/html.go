package export

import (
	"bytes"
	"fmt"
	"html/template"
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
	Page map[string]string // by language
	JSON string
}

// fileLinks are the relative links from the page in lang of an export
// directory, so the pages work from disk (file://) as well as from any
// web server.
func fileLinks(lang string) Links {
	up := ""
	if lang != Langs[0] {
		up = "../"
	}
	l := Links{Page: map[string]string{}, JSON: up + "catalog.json"}
	for _, o := range Langs {
		l.Page[o] = up + PagePath(o)
	}
	return l
}

// labels are the page's own words in one language.
type labels struct {
	LangName, Title, Intro, Languages                           string
	Services, Systems, Classifiers                              string
	LegalBasis, Input, Output, Field, Meaning, Type             string
	PersonalWithheld, PersonalElementsWithheld, NoPersonal      string
	Technical, XRoadID, Protocol, Availability, ResponseTime    string
	RateLimit, SupportHours, AllowedConsumers, Data, Format     string
	Identification, Logging, Retention, LogAccess, Consumes     string
	Provides, Purpose, Service, Code, Name, Source, Owner, JSON string
	Website, INN                                                string
}

var words = map[string]labels{
	"ky": {
		LangName: "Кыргызча", Title: "Түндүк системасындагы кызматтар каталогу", Languages: "Тил",
		Intro:    "Бул уюм Түндүк (мамлекеттик маалымат алмашуу системасы) аркылуу берген жана колдонгон кызматтар.",
		Services: "Кызматтар", Systems: "Маалыматтык системалар", Classifiers: "Классификаторлор",
		LegalBasis: "Укуктук негиз", Input: "Суроо-талаптагы маалыматтар", Output: "Жооптогу маалыматтар",
		Field: "Талаа", Meaning: "Мааниси", Type: "Түрү",
		PersonalWithheld:         "Жеке маалыматтар бул бетте көрсөтүлбөйт: %d талаа жашырылган.",
		PersonalElementsWithheld: "Жеке маалыматтар бул бетте көрсөтүлбөйт: %d маалымат жашырылган.",
		NoPersonal:               "Кызмат жеке маалыматтарды иштетпейт.",
		Technical:                "Техникалык маалымат", XRoadID: "X-Road идентификатору", Protocol: "Протокол",
		Availability: "Жеткиликтүүлүк", ResponseTime: "Жооп берүү убактысы", RateLimit: "Секундасына суроо-талаптар",
		SupportHours: "Колдоо көрсөтүү убактысы", AllowedConsumers: "Уруксат берилген керектөөчүлөр",
		Data: "Маалыматтар", Format: "Формат", Identification: "Колдонуучуларды аныктоо", Logging: "Журналга жазуу",
		Retention: "Сакталуу мөөнөтү: %d жыл.", LogAccess: "Журналга кирүү", Consumes: "Колдонгон кызматтар",
		Provides: "Берген кызматтар", Purpose: "Максаты", Service: "Кызмат", Code: "Коду", Name: "Аталышы",
		Source: "Булагы", Owner: "Ээси", JSON: "Машиналар үчүн каталог (JSON)", Website: "Сайт", INN: "ИСН",
	},
	"ru": {
		LangName: "Русский", Title: "Каталог сервисов в системе Түндүк", Languages: "Язык",
		Intro:    "Сервисы, которые эта организация предоставляет и использует через Түндүк (систему межведомственного электронного взаимодействия).",
		Services: "Сервисы", Systems: "Информационные системы", Classifiers: "Классификаторы",
		LegalBasis: "Правовое основание", Input: "Данные в запросе", Output: "Данные в ответе",
		Field: "Поле", Meaning: "Значение", Type: "Тип",
		PersonalWithheld:         "Персональные данные на этой странице не показываются: скрыто полей — %d.",
		PersonalElementsWithheld: "Персональные данные на этой странице не показываются: скрыто элементов — %d.",
		NoPersonal:               "Сервис не обрабатывает персональные данные.",
		Technical:                "Технические сведения", XRoadID: "Идентификатор X-Road", Protocol: "Протокол",
		Availability: "Доступность", ResponseTime: "Время ответа", RateLimit: "Запросов в секунду",
		SupportHours: "Часы поддержки", AllowedConsumers: "Разрешённые потребители",
		Data: "Данные", Format: "Формат", Identification: "Идентификация пользователей", Logging: "Журналирование",
		Retention: "Срок хранения: %d г.", LogAccess: "Доступ к журналу", Consumes: "Используемые сервисы",
		Provides: "Предоставляемые сервисы", Purpose: "Цель", Service: "Сервис", Code: "Код", Name: "Наименование",
		Source: "Источник", Owner: "Владелец", JSON: "Каталог для машин (JSON)", Website: "Сайт", INN: "ИНН",
	},
	"en": {
		LangName: "English", Title: "Catalog of services in Tunduk", Languages: "Language",
		Intro:    "The services this organisation provides and uses through Tunduk, the Kyrgyz Republic's data-exchange system.",
		Services: "Services", Systems: "Information systems", Classifiers: "Classifiers",
		LegalBasis: "Legal basis", Input: "Data in the request", Output: "Data in the answer",
		Field: "Field", Meaning: "Meaning", Type: "Type",
		PersonalWithheld:         "Personal data is not shown on this page: %d field(s) withheld.",
		PersonalElementsWithheld: "Personal data is not shown on this page: %d data element(s) withheld.",
		NoPersonal:               "The service does not process personal data.",
		Technical:                "Technical details", XRoadID: "X-Road identifier", Protocol: "Protocol",
		Availability: "Availability", ResponseTime: "Response time", RateLimit: "Requests per second",
		SupportHours: "Support hours", AllowedConsumers: "Allowed consumers",
		Data: "Data", Format: "Format", Identification: "How users are identified", Logging: "Logging",
		Retention: "Kept for %d year(s).", LogAccess: "Access to the log", Consumes: "Services it uses",
		Provides: "Services it provides", Purpose: "Purpose", Service: "Service", Code: "Code", Name: "Name",
		Source: "Source", Owner: "Owner", JSON: "Catalog for machines (JSON)", Website: "Website", INN: "INN",
	},
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

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"f":    func(format string, n int) string { return fmt.Sprintf(format, n) },
	"args": func(p *pageData, v any) tmplArgs { return tmplArgs{P: p, Items: v} },
}).Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.W.Title}}: {{.T .Organisation.Name}}</title>
{{range .Alternates}}<link rel="alternate" hreflang="{{.Lang}}" href="{{.Href}}">
{{end}}<style>
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:50rem;margin:0 auto;padding:1rem;color:#1a1a1a;background:#fff;line-height:1.5;overflow-wrap:break-word}
h1{font-size:1.5rem;line-height:1.25;margin:.5rem 0}h2{font-size:1.3rem;margin:2rem 0 .5rem;border-bottom:2px solid #1a5e9a}h3{font-size:1.1rem;margin:0 0 .4rem}h4{font-size:1rem;margin:1rem 0 .3rem}
a{color:#0b4f8a}code{font-size:.9em;overflow-wrap:anywhere;word-break:break-word}
nav.langs{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:0 0 1rem;padding:.5rem 0;border-bottom:1px solid #ccc}
nav.langs a,nav.langs strong{display:inline-block;padding:.35rem .75rem;border:1px solid #0b4f8a;border-radius:1rem;text-decoration:none;min-height:2.75rem;line-height:2rem}
nav.langs strong{background:#0b4f8a;color:#fff}
.card{border:1px solid #ccc;border-radius:.5rem;padding:1rem;margin:1rem 0}
.muted{color:#4a4a4a;font-size:.95rem}.pd{background:#fff4e0;border-left:4px solid #b35c00;padding:.5rem .75rem}
ul{padding-left:1.25rem}li{margin:.3rem 0}
dl.fields{margin:0}dl.fields dt{font-weight:600;margin-top:.5rem}dl.fields dd{margin:0 0 0 1rem}
table{border-collapse:collapse;width:100%;table-layout:fixed}th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}th{background:#f0f0f0}
details{margin-top:.75rem}summary{cursor:pointer;color:#0b4f8a}
</style>
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
	for _, l := range Langs {
		out = append(out, langLink{Lang: l, Name: words[l].LangName, Href: d.Links.Page[l], Current: l == d.Lang})
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
	w, ok := words[lang]
	if !ok {
		return nil, fmt.Errorf("export: no page language %q (have %s)", lang, strings.Join(Langs, ", "))
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, &pageData{Catalog: p, Lang: lang, W: w, Links: links}); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return buf.Bytes(), nil
}
