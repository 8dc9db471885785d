"""The import review (立项): upload or paste a report, see it before anything is written,
correct it, publish it; a re-import shows what changes and keeps the corrections."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from commitments.models import Commitment, ProgressUpdate, Report, ReportImport, Target
from tests.support.webutil import make_cast, record

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
BUNDLED = Path(__file__).resolve().parents[2] / "commitments" / "data"
ANYANG = BUNDLED / "anyang-2017-government-work-report.txt"

SMALL = """2018年示例县政府工作报告
各位代表：
一、2017年工作回顾
全年地区生产总值增长6%。
二、2018年工作安排
（一）稳增长。全年地区生产总值增长7%左右。新建道路20公里。
（二）惠民生。新增城镇就业5000人。改造棚户区300户。
三、加强政府自身建设
推进依法行政。
"""


@pytest.fixture
def cast(anyang):
    return make_cast(anyang)


def upload(client, content: bytes | str, name: str = "report.txt", **fields):
    if isinstance(content, str):
        content = content.encode("utf-8")
    data = {"file": SimpleUploadedFile(name, content, content_type="text/plain"), **fields}
    return client.post(reverse("import_list"), data)


def counts():
    return (
        Report.objects.count(),
        Commitment.objects.count(),
        Target.objects.count(),
        ReportImport.objects.count(),
    )


@pytest.mark.parametrize("who", [None, "reporter", "manager", "leader", "nobody"])
def test_only_the_supervision_office_may_import(cast, who):
    client = cast.client(who)
    before = counts()
    assert client.get(reverse("import_list")).status_code in (302, 403)
    assert upload(client, SMALL).status_code in (302, 403)
    assert counts() == before


def test_upload_reads_the_report_and_writes_nothing_to_the_ledger(cast):
    client = cast.client("supervisor")
    before = counts()
    response = upload(client, (CORPUS / "2026-hebei.txt").read_bytes(), "hebei.txt")
    draft = ReportImport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "import_review", args=[draft.pk]
    )
    assert counts()[:3] == before[:3]  # nothing in the ledger yet
    page = client.get(response["Location"]).content.decode()
    assert "2026年河北省政府工作报告" in page
    assert "河北省" in page and "2026" in page
    assert "地区生产总值增长5%以上" in page  # a main target, verbatim
    assert "“十五五”时期的主要目标任务" in page  # the outline, shown as such
    assert "五年规划纲要（不作为今年任务）" in page


def test_pasted_text_works_like_a_file(cast):
    client = cast.client("supervisor")
    response = client.post(reverse("import_list"), {"text": SMALL})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "2018年示例县政府工作报告" in page and "新建道路20公里" in page


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x00\x01\x02\x03PK\x03\x04" * 50, "未能读取"),
        ("名称,数量\n甲,1\n乙,2\n丙,3\n".encode(), "未能读取"),
        (b"", "二者选一"),
        ("各位代表：今天天气很好。".encode(), "未能读取"),
    ],
)
def test_a_bad_file_gets_a_clear_message_and_nothing_is_written(cast, content, message):
    client = cast.client("supervisor")
    before = counts()
    response = upload(client, content)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert counts() == before


def test_an_oversized_file_is_refused(cast, settings):
    settings.REPORT_MAX_BYTES = 1000
    client = cast.client("supervisor")
    before = counts()
    response = upload(client, SMALL * 50)
    assert response.status_code == 422 and "文件过大" in response.content.decode()
    assert counts() == before


def test_a_report_that_does_not_say_whose_it_is_asks_for_the_place(cast):
    client = cast.client("supervisor")
    text = SMALL.replace("2018年示例县政府工作报告", "政府工作报告（2018年）")
    response = upload(client, text)
    assert response.status_code == 422 and "--place" in response.content.decode()
    assert ReportImport.objects.count() == 0
    response = upload(client, text, place="示例县")
    assert response.status_code == 302
    assert "2018年示例县政府工作报告" in client.get(response["Location"]).content.decode()


def correct(client, draft, **data):
    return client.post(reverse("import_correct", args=[draft.pk]), data)


def test_corrections_then_publish_write_the_corrected_report(cast):
    client = cast.client("supervisor")
    upload(client, SMALL)
    draft = ReportImport.objects.get()
    road = "新建道路20公里。"
    jobs = "新增城镇就业5000人。"
    correct(client, draft, op="kind", text=road, kind="practical_matter", matter_number="1")
    correct(
        client, draft, op="target_add", text=jobs, metric="高校毕业生就业", value="800", unit="人"
    )
    correct(client, draft, op="target_edit", text=road, order="1", value="25")
    correct(client, draft, op="split", text="改造棚户区300户。", before="300户")
    correct(client, draft, op="drop", text="推进依法行政。")
    draft.refresh_from_db()
    assert [c["op"] for c in draft.corrections] == [
        "kind",
        "target_add",
        "target_edit",
        "split",
        "drop",
    ]
    # a correction that does not fit is refused with a message and not kept
    response = correct(client, draft, op="kind", text="没有这句。", kind="pollution")
    assert response.status_code == 302
    draft.refresh_from_db()
    assert len(draft.corrections) == 5
    assert Report.objects.filter(place="示例县").count() == 0  # still nothing written

    response = client.post(reverse("import_publish", args=[draft.pk]))
    report = Report.objects.get(place="示例县", year=2018)
    assert response.status_code == 302 and f"report={report.pk}" in response["Location"]
    draft.refresh_from_db()
    assert draft.state == ReportImport.State.PUBLISHED and draft.report == report
    road_row = report.commitments.get(text=road)
    assert road_row.kind == "practical_matter" and road_row.matter_number == 1
    assert road_row.targets.get().value == 25
    assert report.commitments.get(text=jobs).targets.filter(metric="高校毕业生就业").exists()
    assert report.commitments.filter(text="改造棚户区").exists()
    assert not report.commitments.filter(text__contains="依法行政").exists()
    assert report.place_level == "county"
    ledger = client.get(response["Location"]).content.decode()
    assert "新建道路20公里" in ledger
    # publishing twice does nothing more
    again = client.post(reverse("import_publish", args=[draft.pk]))
    assert again.status_code == 302
    assert Report.objects.filter(place="示例县").count() == 1


def test_undo_and_discard(cast):
    client = cast.client("supervisor")
    upload(client, SMALL)
    draft = ReportImport.objects.get()
    correct(client, draft, op="drop", text="推进依法行政。")
    client.post(reverse("import_undo", args=[draft.pk, 0]))
    draft.refresh_from_db()
    assert draft.corrections == []
    client.post(reverse("import_discard", args=[draft.pk]))
    draft.refresh_from_db()
    assert draft.state == ReportImport.State.DISCARDED
    assert correct(client, draft, op="drop", text="推进依法行政。").status_code == 302
    draft.refresh_from_db()
    assert draft.corrections == []  # a discarded draft takes no corrections
    assert Report.objects.filter(place="示例县").count() == 0


def test_place_and_year_can_be_set_in_review(cast):
    client = cast.client("supervisor")
    upload(client, SMALL)
    draft = ReportImport.objects.get()
    client.post(reverse("import_place", args=[draft.pk]), {"place": "另一县", "year": "2018"})
    draft.refresh_from_db()
    assert draft.place == "另一县"
    client.post(reverse("import_place", args=[draft.pk]), {"place": "另一县", "year": "²"})
    draft.refresh_from_db()
    assert draft.year == 2018
    client.post(reverse("import_publish", args=[draft.pk]))
    assert Report.objects.filter(place="另一县", year=2018).exists()


def test_a_re_import_shows_the_difference_and_keeps_corrections_and_progress(cast, anyang):
    client = cast.client("supervisor")
    original = ANYANG.read_text(encoding="utf-8")
    # review corrections made when the report was first published
    first = upload(client, original)
    draft = ReportImport.objects.get(pk=first["Location"].rstrip("/").split("/")[-1])
    general = anyang.commitments.filter(kind="general").order_by("seq").first()
    correct(client, draft, op="kind", text=general.text, kind="pollution")
    client.post(reverse("import_publish", args=[draft.pk]))
    general.refresh_from_db()
    assert general.kind == "pollution"
    update = record(cast.mine, cast.reporter)

    # next: the report as changed (one sentence edited, one removed, one added)
    removed = anyang.commitments.filter(kind="general").order_by("seq")[5]
    changed = original.replace(removed.text, "").replace(
        "推进海关特殊监管区建设。", "推进海关特殊监管区建设。新建一个保税物流中心。"
    )
    second = upload(client, changed)
    draft2 = ReportImport.objects.get(pk=second["Location"].rstrip("/").split("/")[-1])
    draft.refresh_from_db()
    assert draft2.corrections == draft.corrections != []  # carried over from the report
    page = client.get(second["Location"]).content.decode()
    assert "新增 <b>1</b> 项" in page and "移出 <b>1</b> 项" in page
    assert Commitment.objects.get(pk=removed.pk).in_source  # not yet: still a preview

    client.post(reverse("import_publish", args=[draft2.pk]))
    general.refresh_from_db()
    assert general.kind == "pollution"  # the review correction survived the re-import
    assert not Commitment.objects.get(pk=removed.pk).in_source
    assert anyang.commitments.filter(text="新建一个保税物流中心。").exists()
    assert ProgressUpdate.objects.filter(pk=update.pk, commitment=cast.mine).exists()

    # and a plain re-seed from the command line applies the stored corrections too
    call_command("seed_report", no_progress=True, verbosity=0)
    general.refresh_from_db()
    assert general.kind == "pollution"


def test_correction_forms_load_on_demand_and_work_without_javascript(cast):
    client = cast.client("supervisor")
    upload(client, SMALL)
    draft = ReportImport.objects.get()
    review = client.get(reverse("import_review", args=[draft.pk])).content.decode()
    assert 'name="op"' not in review  # the page carries links, not a form per commitment
    url = reverse("import_fix", args=[draft.pk, "2018-2.1-02"])
    assert url in review
    page = client.get(url).content.decode()
    assert "新建道路20公里。" in page and 'value="target_edit"' in page
    assert 'value="merge"' not in page  # the last of its chapter merges with nothing
    first = client.get(reverse("import_fix", args=[draft.pk, "2018-2.1-01"])).content.decode()
    assert 'value="merge"' in first and 'value="新建道路20公里。"' in first
    assert client.get(reverse("import_fix", args=[draft.pk, "9999-9.9-99"])).status_code == 404
