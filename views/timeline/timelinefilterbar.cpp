#include "timelinefilterbar.h"

#include "common/teardown.h"
#include "gototarget.h"

#include <QDateTime>
#include <QGridLayout>
#include <QLineEdit>
#include <QMenu>
#include <QSignalBlocker>
#include <QToolButton>

using namespace Qt::StringLiterals;

namespace es {

namespace {
constexpr int DebounceMs = 300;

QStringList splitTypes(const QString &text)
{
    QStringList out;
    for (const QString &part : text.split(u',', Qt::SkipEmptyParts)) {
        const QString t = part.trimmed();
        if (!t.isEmpty() && !out.contains(t))
            out << t;
    }
    return out;
}
} // namespace

TimelineFilterBar::TimelineFilterBar(QWidget *parent)
    : QWidget(parent)
{
    // Two rows of four, so that every box is wide enough to read its placeholder.
    auto *layout = new QGridLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setHorizontalSpacing(4);
    layout->setVerticalSpacing(4);
    m_stream = addEdit(u"streamFilter"_s, tr("Stream"), tr("Only the events of this stream"));
    m_types = addEdit(u"typeFilter"_s, tr("Types"), tr("Only these event types, separated by commas"));
    m_typeButton = new QToolButton(this);
    m_typeButton->setObjectName(u"typeFilterMenu"_s);
    m_typeButton->setText(tr("▾"));
    m_typeButton->setToolTip(tr("Pick event types"));
    m_typeButton->setPopupMode(QToolButton::InstantPopup);
    m_typeButton->setStyleSheet(u"QToolButton::menu-indicator { image: none; }"_s);
    m_typeMenu = new QMenu(m_typeButton);
    m_typeButton->setMenu(m_typeMenu);
    m_actor = addEdit(u"actorFilter"_s, tr("Actor"), tr("Only the events recorded for this actor"));
    m_correlation = addEdit(u"correlationFilter"_s, tr("Correlation id"), tr("Only the events of this correlation id"));
    m_from = addEdit(u"fromTimeFilter"_s, tr("From (UTC)"),
                     tr("Recorded at or after this time: 2025-11-25 12:00, 2025-11-25T12:00:00.250Z, 2025-11-25"));
    m_to = addEdit(u"toTimeFilter"_s, tr("To (UTC)"), tr("Recorded at or before this time (same forms as From)"));
    m_search = addEdit(u"searchFilter"_s, tr("Search payloads (Ctrl+F)"),
                       tr("Full text over event data: every word must occur (as a word prefix). Hits are "
                          "highlighted in the Payload column and counted under the filters."));
    m_search->setClearButtonEnabled(true);
    m_clear = new QToolButton(this);
    m_clear->setObjectName(u"clearFilters"_s);
    m_clear->setText(tr("Clear"));
    m_clear->setToolTip(tr("Clear all filters"));
    // Columns: 0 stream / from, 1 types / to, 2 the type menu, 3 actor / search, 4 correlation / search, 5 clear.
    layout->addWidget(m_stream, 0, 0);
    layout->addWidget(m_types, 0, 1);
    layout->addWidget(m_typeButton, 0, 2);
    layout->addWidget(m_actor, 0, 3);
    layout->addWidget(m_correlation, 0, 4, 1, 2);
    layout->addWidget(m_from, 1, 0);
    layout->addWidget(m_to, 1, 1, 1, 2);
    layout->addWidget(m_search, 1, 3, 1, 2);
    layout->addWidget(m_clear, 1, 5);
    for (int c : {0, 1, 3, 4})
        layout->setColumnStretch(c, 1);
    m_debounce.setSingleShot(true);
    m_debounce.setInterval(DebounceMs);
    connect(&m_debounce, &QTimer::timeout, this, &TimelineFilterBar::apply);
    connect(m_clear, &QToolButton::clicked, this, &TimelineFilterBar::clear);
    connect(m_typeMenu, &QMenu::aboutToShow, this, &TimelineFilterBar::rebuildTypeMenu);
    rebuildTypeMenu();
}

TimelineFilterBar::~TimelineFilterBar()
{
    disconnectDescendants(this);
}

QLineEdit *TimelineFilterBar::addEdit(const QString &objectName, const QString &placeholder, const QString &toolTip)
{
    auto *edit = new QLineEdit(this);
    edit->setObjectName(objectName);
    edit->setPlaceholderText(placeholder);
    edit->setToolTip(placeholder + u"\n"_s + toolTip); // the whole placeholder, should the box be narrow
    edit->setMinimumWidth(edit->fontMetrics().horizontalAdvance(u"From (UTC)"_s) + 16);
    connect(edit, &QLineEdit::textEdited, this, [this] { m_debounce.start(); });
    connect(edit, &QLineEdit::returnPressed, this, &TimelineFilterBar::apply);
    return edit;
}

SearchFilter TimelineFilterBar::fromFields()
{
    SearchFilter f;
    f.stream = m_stream->text().trimmed();
    f.types = splitTypes(m_types->text());
    f.actor = m_actor->text().trimmed();
    f.correlationId = m_correlation->text().trimmed();
    f.text = m_search->text().trimmed();
    // A time that does not parse is shown in red and left out, not guessed.
    auto time = [](QLineEdit *edit, qint64 *out) {
        const QString text = edit->text().trimmed();
        const auto ms = GotoTarget::parseTime(text);
        const bool bad = !text.isEmpty() && !ms;
        edit->setStyleSheet(bad ? u"QLineEdit { color: #b00020; }"_s : QString());
        if (ms)
            *out = *ms;
    };
    time(m_from, &f.fromMs);
    time(m_to, &f.toMs);
    return f;
}

void TimelineFilterBar::apply()
{
    m_debounce.stop();
    const SearchFilter f = fromFields();
    if (f == m_applied)
        return;
    m_applied = f;
    Q_EMIT filterChanged(f);
}

void TimelineFilterBar::setFilter(const SearchFilter &f)
{
    {
        const QSignalBlocker b1(m_stream), b2(m_types), b3(m_actor), b4(m_correlation), b5(m_from), b6(m_to),
            b7(m_search);
        m_stream->setText(f.stream);
        m_types->setText(f.types.join(u", "_s));
        m_actor->setText(f.actor);
        m_correlation->setText(f.correlationId);
        m_from->setText(f.fromMs >= 0 ? QDateTime::fromMSecsSinceEpoch(f.fromMs, Qt::UTC).toString(Qt::ISODateWithMs)
                                      : QString());
        m_to->setText(f.toMs >= 0 ? QDateTime::fromMSecsSinceEpoch(f.toMs, Qt::UTC).toString(Qt::ISODateWithMs)
                                  : QString());
        m_search->setText(f.text);
    }
    apply();
}

void TimelineFilterBar::setStream(const QString &stream)
{
    m_stream->setText(stream);
    apply();
}

void TimelineFilterBar::setCorrelation(const QString &correlationId)
{
    m_correlation->setText(correlationId);
    apply();
}

void TimelineFilterBar::setTypes(const QStringList &types)
{
    m_types->setText(types.join(u", "_s));
    apply();
}

void TimelineFilterBar::clear()
{
    setFilter(SearchFilter{});
}

void TimelineFilterBar::setKnownTypes(const QStringList &types)
{
    m_knownTypes = types;
    m_knownTypes.sort();
}

void TimelineFilterBar::addKnownTypes(const QStringList &types)
{
    bool added = false;
    for (const QString &t : types) {
        if (!m_knownTypes.contains(t)) {
            m_knownTypes << t;
            added = true;
        }
    }
    if (added)
        m_knownTypes.sort();
}

void TimelineFilterBar::rebuildTypeMenu()
{
    m_typeMenu->clear();
    const QStringList chosen = splitTypes(m_types->text());
    if (m_knownTypes.isEmpty()) {
        m_typeMenu->addAction(tr("No event types yet"))->setEnabled(false);
        return;
    }
    for (const QString &type : std::as_const(m_knownTypes)) {
        QAction *a = m_typeMenu->addAction(type);
        a->setCheckable(true);
        a->setChecked(chosen.contains(type));
        connect(a, &QAction::toggled, this, [this, type](bool on) {
            QStringList types = splitTypes(m_types->text());
            if (on && !types.contains(type))
                types << type;
            else if (!on)
                types.removeAll(type);
            setTypes(types);
        });
    }
}

} // namespace es
