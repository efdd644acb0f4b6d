"""The PDF scorecard and the branch pack, read back with poppler as a person would read them."""

import datetime
import unittest

from django.contrib.auth import get_user_model
from django.test import TestCase, override_settings

from appraisals.models import Appeal, ImprovementCase, Period, Scorecard, WriteUp
from appraisals.services.writeups import writeup_approve, writeups_generate
from reports.pdf import branch_pack_pdf, render, scorecard_pdf
from reports.pdf.data import month_pages
from tests.reports.pdf_helpers import OCTOBER, lobby_bank, pdf_fonts, pdf_pages, pdf_text, poppler_available

FLAG_ZH = "末位预警"
GENERATED = datetime.datetime(2026, 11, 3, 2, 30, tzinfo=datetime.UTC)


def squeeze(text: str) -> str:
    """pdftotext -layout pads columns with spaces; compare without them."""
    return "".join(text.split())


@unittest.skipUnless(poppler_available(), "poppler-utils (pdftotext, pdffonts, pdfinfo) is not installed")
class ScorecardPdfTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.bank = lobby_bank()
        cls.period = Period.objects.get(month=OCTOBER)
        writeups_generate(period=cls.period, scope="month")
        hr = get_user_model().objects.create_user("hr-officer")
        writeup_approve(writeup=WriteUp.objects.get(staff=cls.bank["alice"], period=cls.period), user=hr)
        WriteUp.objects.filter(staff=cls.bank["olivia"]).delete()

    def card(self, key: str) -> Scorecard:
        return Scorecard.objects.get(period=self.period, staff=self.bank[key])

    def pdf(self, key: str, **options) -> bytes:
        options.setdefault("audience", "employee")
        _, _, content = scorecard_pdf(scorecard=self.card(key), generated_at=GENERATED, **options)
        return content

    def test_it_follows_the_export_contract(self):
        filename, content_type, content = scorecard_pdf(scorecard=self.card("alice"), language="en")
        self.assertEqual((filename, content_type), ("scorecard-2026-10-E001.en.pdf", "application/pdf"))
        self.assertTrue(content.startswith(b"%PDF-"))

    def test_the_branch_copy_is_the_default_so_a_forgotten_audience_never_shows_the_flag(self):
        _, _, content = scorecard_pdf(scorecard=self.card("bob"))
        self.assertNotIn(FLAG_ZH, pdf_text(content))

    def test_a_full_month_is_one_page_with_name_score_grade_rank_and_items(self):
        content = self.pdf("alice")
        self.assertEqual(pdf_pages(content), 1)
        text = squeeze(pdf_text(content))
        for expected in (
            "张丽",
            "E001",
            "115.00",
            "优秀",
            "第1名/共9名",
            "杭州分行",
            "西湖支行文三路营业部",
            "存款日均（万元）",
            "120.00",
            "员工签名",
            "支行负责人签名",
            "考核方案：lobby-2026v1",
            "生成时间：2026-11-0310:30",
        ):
            self.assertIn(expected, text)

    def test_the_cjk_font_is_embedded_with_a_real_bold_face(self):
        fonts = pdf_fonts(self.pdf("alice"))
        cjk = [font for font in fonts if "Noto-Sans-CJK-SC" in font["name"]]
        self.assertTrue(cjk, fonts)
        self.assertTrue(all(font["embedded"] for font in fonts))
        self.assertTrue(any(font["name"].endswith("-Bold") for font in cjk))
        self.assertTrue(any(not font["name"].endswith("-Bold") for font in cjk))

    def test_the_bottom_flag_shows_on_the_employees_and_hrs_copies_only(self):
        self.assertTrue(self.card("bob").bottom_flag)
        self.assertIn(FLAG_ZH, pdf_text(self.pdf("bob", audience="employee")))
        self.assertIn(FLAG_ZH, pdf_text(self.pdf("bob", audience="hr")))
        branch_copy = pdf_text(self.pdf("bob", audience="branch"))
        self.assertNotIn(FLAG_ZH, branch_copy)
        self.assertIn("王博", branch_copy)

    def test_someone_not_flagged_has_no_flag_on_any_copy(self):
        self.assertNotIn(FLAG_ZH, pdf_text(self.pdf("alice", audience="employee")))

    def test_an_exempt_month_says_why_there_is_no_rank(self):
        text = squeeze(pdf_text(self.pdf("chen")))
        self.assertIn("不参与排名", text)
        self.assertIn("出勤7天，不足15天（免考核排名）", text)
        self.assertNotIn("第1名", text)

    def test_a_veto_is_explained_and_the_grade_fails(self):
        text = squeeze(pdf_text(self.pdf("deng")))
        self.assertIn("一票否决", text)
        self.assertIn("不合格", text)
        self.assertIn("93.50", text)

    def test_the_approved_write_up_is_printed_and_a_draft_is_marked(self):
        approved = squeeze(pdf_text(self.pdf("alice")))
        self.assertIn("已审定", approved)
        self.assertIn("张丽同志自2018年3月起担任大堂经理", approved)
        draft = squeeze(pdf_text(self.pdf("bob")))
        self.assertIn("草稿", draft)
        self.assertIn("王博同志自2020年1月起担任大堂经理", draft)
        self.assertIn("本月评语尚未撰写", squeeze(pdf_text(self.pdf("olivia"))))

    def test_english_has_english_labels_and_the_english_write_up(self):
        content = self.pdf("alice", language="en")
        self.assertEqual(pdf_pages(content), 1)
        text = pdf_text(content)
        for expected in ("Lobby manager's monthly appraisal", "October 2026", "Excellent", "1 of 9", "115.00"):
            self.assertIn(expected, text)
        self.assertIn("has served as a lobby manager since March 2018", " ".join(text.split()))
        self.assertIn("Bottom-performance warning", pdf_text(self.pdf("bob", language="en")))

    @override_settings(BANK_NAME="鄂尔多斯农村商业银行")
    def test_the_bank_name_comes_from_the_settings_when_set(self):
        self.assertTrue(squeeze(pdf_text(self.pdf("alice"))).startswith("鄂尔多斯农村商业银行"))

    def test_the_head_offices_name_heads_the_page_otherwise(self):
        self.assertTrue(squeeze(pdf_text(self.pdf("alice"))).startswith("总行"))

    def test_an_unknown_audience_is_refused(self):
        with self.assertRaises(ValueError):
            self.pdf("alice", audience="everyone")


@unittest.skipUnless(poppler_available(), "poppler-utils (pdftotext, pdffonts, pdfinfo) is not installed")
class BranchPackTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.bank = lobby_bank()
        cls.period = Period.objects.get(month=OCTOBER)

    def test_the_pack_is_a_ranked_cover_then_one_page_per_person_without_flags(self):
        filename, _, content = branch_pack_pdf(period=self.period, branch_code="110100", generated_at=GENERATED)
        self.assertEqual(filename, "scorecards-2026-10-110100.pdf")
        self.assertEqual(pdf_pages(content), 1 + 10)
        text = pdf_text(content)
        cover = squeeze(text.split("\f")[0])
        self.assertIn("西湖支行", cover)
        self.assertIn("大堂经理月度考核汇总", cover)
        order = [cover.index(name) for name in ("张丽", "邓军", "王博", "陈晨")]
        self.assertEqual(order, sorted(order), "ranked order, the exempt last")
        # The people's pages, which they sign, never show the flag; the cover's 备注 says why.
        self.assertNotIn(FLAG_ZH, "".join(text.split("\f")[1:]))
        self.assertIn("一票否决", cover)

    def test_the_covers_remarks_say_why_someone_is_flagged_and_whether_a_case_is_open(self):
        bob = Scorecard.objects.get(period=self.period, staff=self.bank["bob"])
        self.assertTrue(bob.bottom_flag and bob.case_opened and bob.rolling < 60)
        cover = self.cover()
        # The remark wraps in its column: its pieces, in order.
        self.assert_in_order(cover, "末位预警", "22.33", "60", "本月启动改进程序")
        page = next(page for page in month_pages(period=self.period).pages if page["employee_no"] == "E002")
        self.assertEqual(
            render.cover_flag_notes(page),
            ["末位预警：近三月平均 22.33 分，处于考核组末位且低于 60 分", "本月启动改进程序（第一阶段）"],
        )
        self.assertEqual(cover.count("末位预警"), 1)

        # A later look: the case has moved to stage 2, and Bob has appealed the month.
        Scorecard.objects.filter(pk=bob.pk).update(case_opened=False)
        ImprovementCase.objects.filter(staff=self.bank["bob"]).update(stage=2)
        Appeal.objects.create(period=self.period, staff=self.bank["bob"], text="请复核本月的存款记录。")
        cover = self.cover()
        self.assert_in_order(cover, "末位预警", "申诉复核中", "改进程序进行中", "回柜台再培训")
        self.assertNotIn("本月启动改进程序", cover)

        ImprovementCase.objects.filter(staff=self.bank["bob"]).update(status="closed")
        self.assertIn("未启动改进程序", self.cover())

    def cover(self) -> str:
        return squeeze(pdf_text(branch_pack_pdf(period=self.period, branch_code="110100")[2]).split("\f")[0])

    def assert_in_order(self, text: str, *pieces: str):
        where = [text.find(piece) for piece in pieces]
        self.assertNotIn(-1, where, text)
        self.assertEqual(where, sorted(where), text)

    def test_a_tier_one_branch_gives_the_packs_of_its_sub_branches(self):
        _, _, content = branch_pack_pdf(period=self.period, branch_code="120000", generated_at=GENERATED)
        self.assertEqual(pdf_pages(content), 2)
        self.assertIn("海曙支行", pdf_text(content))


@unittest.skipUnless(poppler_available(), "poppler-utils (pdftotext, pdffonts, pdfinfo) is not installed")
class DrawOnceTests(TestCase):
    """`write_many` draws a document once and writes several files from the one drawing."""

    def document(self, second_style: str = ""):
        html = (
            f"<style>{render.FACES_PLACEHOLDER} body {{ font-family: {render.FAMILY_PLACEHOLDER} }}</style>"
            "<section id='own-A'><p>甲的成绩单</p></section>"
            f"<section id='own-B' style='break-before: page'><p style='{second_style}'>乙的成绩单</p></section>"
        )
        rendered = render.document_from_html(html)
        return rendered, render.sections(rendered)

    def test_each_file_holds_only_its_own_pages(self):
        rendered, found = self.document()
        files = render.write_many(rendered, {"a": found["own-A"], "b": found["own-B"], "both": rendered.pages}, "both")
        self.assertEqual((pdf_pages(files["a"]), pdf_pages(files["b"]), pdf_pages(files["both"])), (1, 1, 2))
        self.assertIn("甲的成绩单", pdf_text(files["a"]))
        self.assertNotIn("乙的成绩单", pdf_text(files["a"]))
        self.assertIn("乙的成绩单", pdf_text(files["b"]))

    def test_a_page_that_shares_resources_is_written_on_its_own_so_nothing_travels(self):
        rendered, found = self.document(second_style="opacity: 0.5")
        files = render.write_many(rendered, {"a": found["own-A"], "both": rendered.pages}, "both")
        self.assertEqual(files["a"], render.write(rendered, found["own-A"]))


class MonthReadTests(TestCase):
    def test_the_month_is_read_in_five_queries_whatever_the_number_of_people(self):
        from reports.pdf.data import month_pages

        lobby_bank(months=(OCTOBER,))
        period = Period.objects.get(month=OCTOBER)
        with self.assertNumQueries(5):
            month = month_pages(period=period)
        self.assertEqual([len(unit.pages) for unit in month.units], [10, 1])
