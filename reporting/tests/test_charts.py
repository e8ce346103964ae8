from xml.etree import ElementTree

from reporting.charts import Series, bar_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup):
    return ElementTree.fromstring(str(markup))


def test_bar_chart_draws_one_bar_per_figure_with_its_value_and_link():
    svg = _parse(bar_chart(["长春市", "吉林市"], [Series("合格率", [80, 50], links=["/a?city=1", "/a?city=2"])],
                           title="各市合格率", unit="%"))
    bars = [r for r in svg.iter(f"{SVG}rect") if r.get("height") and float(r.get("height")) > 10]
    assert len(bars) == 2
    assert float(bars[0].get("height")) > float(bars[1].get("height"))
    links = [a.get("href") for a in svg.iter(f"{SVG}a")]
    assert links == ["/a?city=1", "/a?city=2"]
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "各市合格率" in texts and "长春市" in texts and "80" in texts


def test_line_chart_breaks_at_a_missing_figure_and_escapes_labels():
    svg = _parse(line_chart(["2024", "2025", "2026"], [Series("<b>", [1, None, 3])]))
    assert not list(svg.iter(f"{SVG}polyline"))  # two single points, no segment
    assert len(list(svg.iter(f"{SVG}circle"))) == 2
    assert "<b>" in [t.text for t in svg.iter(f"{SVG}text")]


def test_empty_chart_still_renders_an_axis():
    svg = _parse(bar_chart([], [Series("", [])]))
    assert svg.tag == f"{SVG}svg"
