"""InspectQA in the browser: ask, search, grades, compare years, reports, force profiles, add
reports, export.

Streamlit UI only: the pages live in the ``ui`` package and call the library the command line
calls (``search.answer.router.answer``, ``Searcher.search``, ``search.findings.api``,
``search.reports``, ``search.index.build``). The encoder and the index are loaded once per process
and reloaded only when a new index generation is published. Report text is untrusted: everything
taken from a report or an upload is shown through ``ui.text.md_text`` (Markdown and HTML escaped).

Run it with ``make run`` or ``streamlit run app.py``; ``INSPECTQA_INDEX_DIR`` names the index
folder (default ``index``), ``INSPECTQA_UPLOAD_DIR`` the folder uploads are saved in (default
``uploads`` beside the index folder).
"""

from __future__ import annotations

import streamlit as st

from ui.add_page import page_add
from ui.ask import page_ask
from ui.compare import page_compare
from ui.export_page import page_export
from ui.grades_page import page_grades
from ui.profile import page_profile
from ui.reports_page import page_reports
from ui.resources import PAGES, Context, open_index
from ui.search_page import page_search
from ui.sidebar import sidebar

PAGE_LIST = (  # url path, title, icon, page function
    ("ask", "Ask", ":material/question_answer:", page_ask),
    ("search", "Search", ":material/search:", page_search),
    ("grades", "Grades", ":material/grid_on:", page_grades),
    ("compare", "Compare years", ":material/compare:", page_compare),
    ("reports", "Reports", ":material/description:", page_reports),
    ("profile", "Force profile", ":material/timeline:", page_profile),
    ("add", "Add reports", ":material/upload_file:", page_add),
    ("export", "Export", ":material/download:", page_export),
)


def main() -> None:
    st.set_page_config(page_title="InspectQA", page_icon=":material/policy:", layout="wide")
    searcher = open_index()
    if searcher is None:
        st.stop()
    context: dict[str, Context] = {}
    pages = {path: st.Page(lambda show=show: show(context["ctx"]), title=title, url_path=path, icon=icon,
                           default=path == "ask")
             for path, title, icon, show in PAGE_LIST}
    PAGES.update(pages)
    navigation = st.navigation(list(pages.values()))
    context["ctx"] = Context(searcher, sidebar(searcher))
    navigation.run()


if __name__ == "__main__":
    main()
