#include "report/html.h"


#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include "core/json.h"
#include "report/output.h"

namespace scalelab::report {

namespace {

constexpr const char* kStyle = R"(
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em} h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;margin:1em 0} th,td{border:1px solid #ccc;padding:.3em .7em;text-align:right}
th{background:#f4f4f4} td:first-child,th:first-child{text-align:left}
figure{margin:1.5em 0} figcaption{color:#555;font-size:.9em;margin-top:.3em}
.chart{position:relative;height:380px}
p.note{color:#555}
)";

// A Chart.js plugin drawing the charts' boundary markers (report/charts.h
// add_markers): a dashed vertical line at each options.plugins.markers.lines
// x, with its label; labels take three rows so neighbours do not overlap. On
// a category x axis (seconds as labels) an x between two labels is placed
// proportionally between them.
constexpr const char* kMarkersPlugin = R"(Chart.register({id:'markers',afterDatasetsDraw(chart,args,opts){
const lines=(opts&&opts.lines)||[];if(!lines.length)return;
const sx=chart.scales.x,a=chart.chartArea,ctx=chart.ctx,labels=chart.data.labels||[];
const px=(v)=>{if(sx.type!=='category')return sx.getPixelForValue(v);
for(let i=0;i+1<labels.length;i++){const l=+labels[i],r=+labels[i+1];
if(v>=l&&v<=r)return sx.getPixelForValue(i+(r>l?(v-l)/(r-l):0));}
return v<+labels[0]?a.left:a.right;};
ctx.save();ctx.strokeStyle='#444';ctx.fillStyle='#222';ctx.lineWidth=1;ctx.setLineDash([5,4]);
ctx.font='11px sans-serif';
for(let i=0;i<lines.length;i++){const p=px(lines[i].x);if(!(p>=a.left&&p<=a.right))continue;
ctx.beginPath();ctx.moveTo(p,a.top);ctx.lineTo(p,a.bottom);ctx.stroke();
if(lines[i].label)ctx.fillText(lines[i].label,p+3,a.top+12+(i%3)*12);}
ctx.restore();}});
)";

// Inline <script> content must not contain "</" (it could close the tag).
std::string script_safe(std::string s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<' && i + 1 < s.size() && s[i + 1] == '/') {
      out += "<\\/";
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

const char* chart_color(std::size_t i) {
  static const char* const kColors[] = {"#4e79a7", "#e15759", "#59a14f", "#f28e2b", "#76b7b2",
                                        "#b07aa1", "#edc948", "#ff9da7", "#9c755f", "#bab0ac"};
  return kColors[i % std::size(kColors)];
}

std::filesystem::path chartjs_path() {
  if (const char* env = std::getenv("SCALELAB_CHARTJS"); env && *env) return env;
  return SCALELAB_CHARTJS_PATH;
}

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

HtmlReport::HtmlReport(std::string title) : title_(std::move(title)) {}

void HtmlReport::heading(const std::string& text) { body_ += "<h2>" + html_escape(text) + "</h2>\n"; }

void HtmlReport::paragraph(const std::string& text) { body_ += "<p>" + html_escape(text) + "</p>\n"; }

void HtmlReport::table(const std::vector<std::string>& header,
                       const std::vector<std::vector<std::string>>& rows) {
  body_ += "<table><tr>";
  for (const auto& h : header) body_ += "<th>" + html_escape(h) + "</th>";
  body_ += "</tr>\n";
  for (const auto& row : rows) {
    body_ += "<tr>";
    for (const auto& cell : row) body_ += "<td>" + html_escape(cell) + "</td>";
    body_ += "</tr>\n";
  }
  body_ += "</table>\n";
}

void HtmlReport::chart(const std::string& caption, const boost::json::value& config) {
  const std::string id = "chart" + std::to_string(charts_++);
  body_ += "<figure><div class=\"chart\"><canvas id=\"" + id + "\"></canvas></div><figcaption>" +
           html_escape(caption) + "</figcaption></figure>\n<script>new Chart(document.getElementById('" +
           id + "')," + script_safe(to_json(config)) + ");</script>\n";
}

void HtmlReport::link(const std::string& text, const std::string& href) {
  body_ += "<p><a href=\"" + html_escape(href) + "\">" + html_escape(text) + "</a></p>\n";
}

Status HtmlReport::write(const std::filesystem::path& file) const {
  std::string chartjs;
  if (charts_ > 0) {
    const auto path = chartjs_path();
    std::ifstream in(path, std::ios::binary);
    if (!in)
      return Error{ErrorKind::kUnavailable,
                   "Chart.js not found at " + path.string() +
                       "; install Debian's libjs-chart.js (scripts/setup.sh) or set SCALELAB_CHARTJS"};
    std::ostringstream ss;
    ss << in.rdbuf();
    chartjs = ss.str();
  }
  std::string page = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" +
                     html_escape(title_) + "</title>\n<style>" + kStyle + "</style>\n";
  if (!chartjs.empty()) {
    // The library holds no "</script"; refuse to inline one that does.
    if (chartjs.find("</script") != std::string::npos)
      return Error{ErrorKind::kInternal, "cannot inline Chart.js: it contains </script"};
    page += "<script>" + chartjs + "</script>\n<script>" + kMarkersPlugin + "</script>\n";
  }
  page += "</head><body>\n<h1>" + html_escape(title_) + "</h1>\n" + body_ + "</body></html>\n";
  return write_file(file, page);
}

}  // namespace scalelab::report
