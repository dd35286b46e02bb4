"""What a member types is kept: text that is not a well-formed tag stays text, in posts and
comments; and nothing the sanitiser lets through can execute (property-based, with Hypothesis).
"""

import re

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tests.hostile import HOSTILE, assert_inert_html, html_text
from wagtail_communityblog.sanitize import clean_comment_html, clean_html, comment_text


def words(text):
    return "".join(text.split())


# --- the cases members met -----------------------------------------------------------------


def test_a_less_than_sign_in_a_comment_is_text_not_bold():
    html = clean_comment_html("a<b and the rest\n\nnext paragraph")

    assert "<b>" not in html
    assert html == "<p>a&lt;b and the rest</p><p>next paragraph</p>"


def test_naming_a_tag_in_a_comment_keeps_the_rest_of_the_comment():
    html = clean_comment_html("Never put <style> in a post, it breaks the page.")

    assert html_text(html) == "Never put <style> in a post, it breaks the page."


def test_editing_a_comment_shows_the_text_as_typed():
    typed = "a<b and <style> & 3 > 2"

    assert comment_text(clean_comment_html(typed)) == typed


def test_a_less_than_sign_in_a_post_typed_without_the_editor_is_kept():
    assert clean_html("a<b holds") == "<p>a&lt;b holds</p>"


def test_paragraphs_typed_without_the_editor_stay_paragraphs_around_a_less_than_sign():
    assert clean_html("x < y and a<b\r\n\r\nSecond") == "<p>x &lt; y and a&lt;b</p><p>Second</p>"


def test_naming_a_tag_in_a_post_keeps_the_rest_of_the_post():
    assert html_text(clean_html("Never put <style> in a post")) == "Never put <style> in a post"


def test_an_unclosed_math_tag_does_not_swallow_the_later_paragraphs():
    html = clean_html("Formula: <math> x < y\n\nSecond\n\nThird")

    assert html == "<p>Formula: &lt;math&gt; x &lt; y</p><p>Second</p><p>Third</p>"


def test_an_unclosed_math_tag_in_editor_html_keeps_its_text():
    html = clean_html("<p>Formula: <math>x + 1</p><p>Second</p>")

    assert html_text(html) == "Formula: <math>x + 1Second"
    assert_inert_html(html)


def test_an_unclosed_script_or_style_in_editor_html_stays_text():
    html = clean_html("<p>Use <script> tags</p><p>and <style></p>")

    assert html_text(html) == "Use <script> tagsand <style>"
    assert_inert_html(html)


def test_a_closed_script_is_still_removed_with_its_content():
    assert clean_html("<p>a</p><script>alert(1)</script><p>b</p>") == "<p>a</p><p>b</p>"


# --- properties of the sanitiser, over generated input --------------------------------------

# Text with no ">" can hold no tag, comment or declaration: it is text however it is read.
# Letters and the characters markup is made of, "<" above all, plus a few other scripts.
TEXT_ALPHABET = "abixyzAB019 \n\t<&;#\"'/=!-?.é日ع"
PLAIN_TEXT = st.text(alphabet=TEXT_ALPHABET, max_size=80)

# Pieces of markup, well-formed and not, allowed and not, with text in between.
FRAGMENTS = [
    "<p>",
    "</p>",
    "<b>",
    "</b>",
    "<i>",
    "</i>",
    "<strong>",
    "<h1>",
    "</h1>",
    "<h2>",
    "<ul><li>",
    "</li></ul>",
    "<blockquote>",
    "</blockquote>",
    "<br>",
    '<a href="https://example.org/?a=1&b=2">',
    '<a href="javascript:alert(1)">',
    "</a>",
    "<span class=x>",
    "</span>",
    "<div>",
    "<math>",
    "</math>",
    "<svg onload=alert(1)>",
    "</svg>",
    "<style>",
    "</style>",
    "<script>",
    "</script>",
    "<textarea>",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "<img src=x onerror=alert(1)>",
    '<img src="/media/x.png#wagtail-image-1">',
    "a<b ",
    " > ",
    "&amp;",
    "&lt;",
    "&",
    "\n\n",
    "\n",
]
MARKUP = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.sampled_from(HOSTILE), PLAIN_TEXT), max_size=12
).map("".join)

PROPERTIES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def typed_paragraphs(text):
    """The paragraphs a member typed: blank lines separate them."""
    return [block.strip() for block in re.split(r"\n[ \t]*\n", text) if block.strip()]


@PROPERTIES
@given(PLAIN_TEXT)
def test_plain_text_typed_in_a_post_is_kept_paragraph_by_paragraph(text):
    from tests.hostile import parse_html

    html = clean_html(text)

    paragraphs = [p.get_text() for p in parse_html(html).find_all("p")]
    assert [words(p) for p in paragraphs] == [words(p) for p in typed_paragraphs(text)]


@PROPERTIES
@given(st.text(alphabet=TEXT_ALPHABET + ">", max_size=80))
def test_plain_text_typed_in_a_comment_comes_back_as_typed_when_edited(text):
    assume("http" not in text)
    html = clean_comment_html(text)

    assert words(html_text(html)) == words(text)
    assert comment_text(html) == "\n\n".join(typed_paragraphs(text))


@PROPERTIES
@given(MARKUP)
def test_sanitising_a_post_twice_changes_nothing(html):
    once = clean_html(html)

    assert clean_html(once) == once


@PROPERTIES
@given(MARKUP)
def test_editing_a_comment_and_saving_it_unchanged_changes_nothing(text):
    html = clean_comment_html(text)

    assert clean_comment_html(comment_text(html)) == html


@PROPERTIES
@given(MARKUP)
def test_nothing_the_sanitiser_lets_through_can_execute(html):
    from wagtail.rich_text import expand_db_html

    from wagtail_communityblog.sanitize import clean_rendered_links

    post = clean_html(html, allowed_image_ids=set())
    assert_inert_html(post, "in a post body")
    assert_inert_html(clean_rendered_links(expand_db_html(post)), "in a rendered post body")
    assert_inert_html(clean_comment_html(html), "in a comment")


def test_a_tag_name_with_regex_characters_is_not_an_error():
    # Found by Hypothesis: the tag name went into a regular expression unescaped (a 500).
    assert_inert_html(clean_html("<A<![CDATA[<p>"))
    assert_inert_html(clean_html("<style[(*>x"))


def test_long_unterminated_tags_and_deep_nesting_come_out_inert():
    # The cost of these shapes is measured in benchmarks/sanitize.py.
    body = '<a b=c/d/e="f' * 2_000 + "<b x=y/" * 2_000 + ">"
    assert_inert_html(clean_html(body))
    assert_inert_html(clean_comment_html(body[:5_000]))


def test_elements_left_open_past_the_bound_stay_as_text():
    from wagtail_communityblog.typed_markup import MAX_OPEN_ELEMENTS

    html = clean_html("<i>" * (MAX_OPEN_ELEMENTS + 5) + "deep")

    assert html.count("<i>") == MAX_OPEN_ELEMENTS
    assert html_text(html) == "<i>" * 5 + "deep"
