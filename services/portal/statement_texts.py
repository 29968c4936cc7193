"""The fixed texts of the person's statement (statement.py): title, explanation, table headings and the
person's rights, translated once with the reader's `_` so that the HTML page and the PDF say the same."""

from collections.abc import Callable

from pydantic import BaseModel, ConfigDict


class Texts(BaseModel):
    model_config = ConfigDict(frozen=True)

    title: str
    intro: str
    person: str
    case: str
    summary_heading: str
    table_heading: str
    caption: str
    columns: tuple[str, str, str, str, str]
    """When, who was told, what kind of information, why, on what legal basis."""
    empty: str
    produced: str
    rights_heading: str
    rights: tuple[str, ...]


def texts(case_id: str, produced: str, restricted: bool, _: Callable[[str], str]) -> Texts:
    """`produced` is the date the statement was made, already in the reader's locale."""
    rights = [
        _("You can ask your case manager about anything in this statement, and for a copy of the information itself."),
        _(
            "You can ask for information that is wrong to be corrected, and in some cases to be deleted or no "
            "longer shared."
        ),
        _(
            "Where sharing relied on your consent, you can withdraw it at any time by telling your case manager. "
            "This does not undo what was already shared."
        ),
        _(
            "You can complain to the data protection officer of any agency named here, or to your country's data "
            "protection authority."
        ),
    ]
    if restricted:
        rights.append(
            _(
                "Where the law allows it to protect the prevention or detection of crime, some details of police "
                "work are not included in this statement."
            )
        )
    return Texts(
        title=_("How information about you has been shared"),
        intro=_(
            "This statement lists which agencies were told what kind of information about you, when, and why. "
            "It does not repeat the information itself."
        ),
        person=_("Prepared for"),
        case=_("Case"),
        summary_heading=_("Who was told"),
        table_heading=_("What was shared, when and why"),
        caption=_("Information shared about you in case %(case)s") % {"case": case_id},
        columns=(_("Date"), _("Who was told"), _("What kind of information"), _("Why"), _("Legal basis")),
        empty=_("No information about you has been shared with any agency yet."),
        produced=_("Produced on %(date)s") % {"date": produced},
        rights_heading=_("Your rights"),
        rights=tuple(rights),
    )
