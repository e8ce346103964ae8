"""English is available through Django's i18n; Chinese (zh-hans) is the source language and the default."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from portal.accounts.choices import Role

pytestmark = pytest.mark.django_db

LOCALE_DIR = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"
TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"
# The shell of the UI must always be fully translated; other strings may lag behind a release.
SHELL_TEMPLATES = ["base.html", "core/", "accounts/"]
CJK = re.compile(r"[\u3400-\u9fff\uff01-\uff5e\u3001-\u3011]")

HOME_TITLES = {
    Role.SYSTEM_ADMIN: ("Platform administrator workbench", "平台管理员工作台"),
    Role.PROVINCE_ADMIN: ("Province administrator workbench", "省级管理员工作台"),
    Role.INSTITUTION: ("Institution workbench", "机构工作台"),
    Role.QC_CENTER: ("Quality control center workbench", "质控中心工作台"),
    Role.COMMISSION_PROVINCE: ("Health administration workbench", "卫生健康行政部门工作台"),
    Role.COMMISSION_CITY: ("Health administration workbench", "卫生健康行政部门工作台"),
    Role.COMMISSION_COUNTY: ("Health administration workbench", "卫生健康行政部门工作台"),
    Role.DISEASE_CONTROL: ("Disease control authority workbench", "疾控主管部门工作台"),
    Role.SUPERVISION: ("Health supervision body workbench", "卫生监督机构工作台"),
    Role.NATIONAL: ("National workbench (read-only)", "国家级工作台（只读）"),
}


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    # Administrators' second factor is covered by the accounts tests; here it would only hide the pages.
    settings.REQUIRE_ADMIN_2FA = False


def switch_to_english(client, next_url="/"):
    response = client.post(reverse("set_language"), {"language": "en", "next": next_url})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    return response


def h1(response) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", response.content.decode(), re.S)
    assert match, "page has no <h1>"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def visible_text(response) -> str:
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    # The language menu names each language in that language.
    html = re.sub(r"<option[^>]*>[^<]*</option>", " ", html)
    return re.sub(r"<[^>]+>", " ", html)


def test_chinese_is_the_default_for_a_new_visitor(client):
    response = client.get(reverse("core:public-home"))

    assert response.status_code == 200
    assert '<html lang="zh-hans">' in response.content.decode()
    assert h1(response) == "职业健康检查机构与职业病诊断机构公开信息"


def test_an_english_browser_still_gets_chinese_until_the_switch_is_used(client):
    """Chinese first: Accept-Language does not decide, only the language switch does."""
    page = client.get(reverse("core:public-home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="zh-hans">' in page.content.decode()

    switch_to_english(client, next_url=reverse("core:public-home"))
    page = client.get(reverse("core:public-home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="en">' in page.content.decode()


def test_set_language_redirects_back_and_sticks_for_later_requests(client):
    response = switch_to_english(client, next_url=reverse("accounts:login"))

    assert response["Location"] == reverse("accounts:login")
    page = client.get(reverse("core:public-home"))
    assert '<html lang="en">' in page.content.decode()


def test_public_home_and_login_page_are_entirely_english(client):
    switch_to_english(client)

    home = client.get(reverse("core:public-home"))
    login = client.get(reverse("accounts:login"))

    assert h1(home) == ("Public information on occupational health examination institutions "
                        "and occupational disease diagnosis institutions")
    assert "Occupational Health Examination Institution Filing and Quality Control Platform" in home.content.decode()
    assert h1(login) == "Log in"
    assert "Five consecutive wrong passwords lock the account for 30 minutes." in login.content.decode()
    for page in (home, login):
        assert not CJK.findall(visible_text(page)), CJK.findall(visible_text(page))[:20]


@pytest.mark.parametrize("role", list(HOME_TITLES), ids=str)
def test_each_role_home_page_is_english(client, role_users, role):
    english, chinese = HOME_TITLES[role]
    client.force_login(role_users[role])
    switch_to_english(client)

    response = client.get(reverse("core:home"))

    assert response.status_code == 200
    assert h1(response) == english
    html = response.content.decode()
    assert chinese not in html
    assert "Log out" in html and "Notifications" in html
    assert "职业健康检查机构备案与质量控制平台" not in html


def test_filing_index_is_english_for_authority_and_institution(client, role_users):
    client.force_login(role_users[Role.PROVINCE_ADMIN])
    switch_to_english(client)
    authority = client.get(reverse("filing:index"), follow=True)
    client.force_login(role_users[Role.INSTITUTION])
    institution = client.get(reverse("filing:index"), follow=True)

    assert authority.status_code == 200 and institution.status_code == 200
    assert h1(authority) == "Filed institutions"
    assert "备案机构" not in authority.content.decode()
    assert h1(institution) == "My filing"
    assert "我的备案" not in institution.content.decode()


def test_audit_list_is_english_for_a_province_admin(client, role_users):
    client.force_login(role_users[Role.PROVINCE_ADMIN])
    switch_to_english(client)

    response = client.get(reverse("audit:list"))

    assert response.status_code == 200
    assert h1(response) == "Audit log"
    html = response.content.decode()
    assert "审计日志" not in html
    for heading in ("Time", "Actor", "Action", "Record", "Changes"):
        assert f"<th>{heading}</th>" in html


# Catalogue guard -------------------------------------------------------------------------------


ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


def _unquote(chunks: list[str]) -> str:
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(0)), "".join(chunks))


def read_po(path: Path) -> list[dict]:
    """A minimal .po reader: enough for msgid/msgstr, plural forms, flags and references."""
    entries, entry, field = [], None, None

    def new():
        return {"refs": [], "flags": set(), "msgid": [], "msgid_plural": [], "msgstr": {}}

    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if entry and entry["msgid"] is not None:
                entries.append(entry)
            entry, field = None, None
            continue
        if line.startswith("#~"):
            continue
        entry = entry or new()
        if line.startswith("#:"):
            entry["refs"].extend(line[2:].split())
        elif line.startswith("#,"):
            entry["flags"].update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith("msgid_plural "):
            field = ("msgid_plural", None)
            entry["msgid_plural"].append(line[len("msgid_plural "):][1:-1])
        elif line.startswith("msgid "):
            field = ("msgid", None)
            entry["msgid"].append(line[len("msgid "):][1:-1])
        elif line.startswith("msgstr"):
            key, _, value = line.partition(" ")
            index = int(key[7:-1]) if key.startswith("msgstr[") else 0
            field = ("msgstr", index)
            entry["msgstr"].setdefault(index, []).append(value[1:-1])
        elif line.startswith('"') and field:
            name, index = field
            target = entry[name] if index is None else entry[name][index]
            target.append(line[1:-1])
    for e in entries:
        e["msgid"] = _unquote(e["msgid"])
        e["msgid_plural"] = _unquote(e["msgid_plural"])
        e["msgstr"] = {k: _unquote(v) for k, v in e["msgstr"].items()}
    return [e for e in entries if e["msgid"]]


def shell_msgids() -> set[str]:
    """Literal strings of {% translate %} and simple {% blocktranslate %} tags in the UI shell."""
    found = set()
    for name in SHELL_TEMPLATES:
        path = TEMPLATES_DIR / name
        for template in ([path] if path.is_file() else sorted(path.rglob("*.html"))):
            text = template.read_text(encoding="utf-8")
            found.update(m.group(2) for m in re.finditer(r"""\{%\s*translate\s+(['"])(.*?)\1""", text))
            found.update(m.group(2) for m in re.finditer(r"""_\((['"])(.*?)\1\)""", text))
            for m in re.finditer(r"\{%\s*blocktranslate\b[^%]*%\}(.*?)\{%\s*endblocktranslate\s*%\}", text, re.S):
                if "{% plural %}" not in m.group(1):
                    found.add(re.sub(r"\{\{\s*(\w+)\s*\}\}", r"%(\1)s", m.group(1)))
    return found


def test_english_catalogue_translates_the_whole_ui_shell():
    entries = read_po(LOCALE_DIR / "django.po")
    by_msgid = {e["msgid"]: e for e in entries}

    missing = sorted(m for m in shell_msgids() if m not in by_msgid)
    assert not missing, f"run makemessages: not in django.po: {missing}"

    def in_shell(entry):
        return any(ref.startswith(f"templates/{name}") for ref in entry["refs"] for name in SHELL_TEMPLATES)

    untranslated = [e["msgid"] for e in entries if in_shell(e) and
                    ("fuzzy" in e["flags"] or not all(v.strip() for v in e["msgstr"].values()))]
    assert not untranslated, f"untranslated or fuzzy in the UI shell: {untranslated}"


def test_compiled_catalogue_is_not_older_than_its_source():
    po, mo = LOCALE_DIR / "django.po", LOCALE_DIR / "django.mo"

    assert mo.exists(), "run compilemessages"
    assert mo.stat().st_mtime >= po.stat().st_mtime, "django.mo is older than django.po: run compilemessages"
