#include "commandlogview.h"

#include "commandlogmodel.h"
#include "common/jsontreewidget.h"
#include "common/outcomestyle.h"
#include "common/teardown.h"
#include "jsdomain.h"
#include "session.h"
#include "stagetimingsdelegate.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpression>
#include <QScrollBar>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace es {

CommandLogView::CommandLogView(QWidget *parent)
    : QWidget(parent)
    , m_model(new CommandLogModel(this))
    , m_outcomeProxy(new QSortFilterProxyModel(this))
    , m_textProxy(new QSortFilterProxyModel(this))
    , m_outcome(new QComboBox(this))
    , m_filter(new QLineEdit(this))
    , m_count(new QLabel(this))
    , m_table(new QTableView(this))
    , m_detailsTitle(new QLabel(this))
    , m_details(new JsonTreeWidget(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto *top = new QHBoxLayout;
    m_outcome->setObjectName(u"outcomeFilter"_s);
    m_outcome->addItem(tr("All outcomes"), -1);
    for (CommandOutcome o : {CommandOutcome::Accepted, CommandOutcome::Rejected, CommandOutcome::Conflict,
                             CommandOutcome::Failed})
        m_outcome->addItem(outcomestyle::symbol(o) + u' ' + outcomestyle::title(o), int(o));
    m_filter->setObjectName(u"logFilter"_s);
    m_filter->setPlaceholderText(tr("Filter by command, stream, actor, reason…"));
    m_filter->setClearButtonEnabled(true);
    m_count->setObjectName(u"logCount"_s);
    top->addWidget(m_outcome);
    top->addWidget(m_filter, 1);
    top->addWidget(m_count);
    layout->addLayout(top);

    m_outcomeProxy->setSourceModel(m_model);
    m_outcomeProxy->setFilterKeyColumn(CommandLogModel::OutcomeColumn);
    m_textProxy->setSourceModel(m_outcomeProxy);
    m_textProxy->setFilterKeyColumn(-1);
    m_textProxy->setFilterCaseSensitivity(Qt::CaseInsensitive);

    m_table->setObjectName(u"commandTable"_s);
    m_table->setModel(m_textProxy);
    m_table->setItemDelegateForColumn(CommandLogModel::StagesColumn, new StageTimingsDelegate(m_table));
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    QHeaderView *h = m_table->horizontalHeader();
    h->setHighlightSections(false);
    h->setSectionResizeMode(QHeaderView::Interactive);
    h->setStretchLastSection(false);
    h->setSectionResizeMode(CommandLogModel::ReasonColumn, QHeaderView::Stretch);
    const int em = m_table->fontMetrics().horizontalAdvance(u'M');
    m_table->setColumnWidth(CommandLogModel::TimeColumn, m_table->fontMetrics().horizontalAdvance(
                                                             u"2024-05-01 12:00:00.000"_s) + em);
    m_table->setColumnWidth(CommandLogModel::OutcomeColumn, 7 * em);
    m_table->setColumnWidth(CommandLogModel::CommandColumn, 11 * em);
    m_table->setColumnWidth(CommandLogModel::StreamColumn, 10 * em);
    m_table->setColumnWidth(CommandLogModel::ActorColumn, 11 * em);
    m_table->setColumnWidth(CommandLogModel::StagesColumn, 11 * em);
    m_table->setColumnWidth(CommandLogModel::EventsColumn, 5 * em);

    auto *details = new QWidget(this);
    auto *detailsLayout = new QVBoxLayout(details);
    detailsLayout->setContentsMargins(0, 0, 0, 0);
    m_detailsTitle->setObjectName(u"commandDetailsTitle"_s);
    m_detailsTitle->setWordWrap(true);
    m_detailsTitle->setTextFormat(Qt::RichText);
    m_detailsTitle->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_details->setObjectName(u"commandDetails"_s);
    detailsLayout->addWidget(m_detailsTitle);
    detailsLayout->addWidget(m_details, 1);

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->addWidget(m_table);
    splitter->addWidget(details);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    splitter->setChildrenCollapsible(false);
    layout->addWidget(splitter, 1);

    connect(m_outcome, &QComboBox::currentIndexChanged, this, &CommandLogView::applyFilters);
    connect(m_filter, &QLineEdit::textChanged, this, &CommandLogView::applyFilters);
    connect(m_table, &QTableView::activated, this, [this](const QModelIndex &index) {
        const qint64 position = index.data(CommandLogModel::FirstPositionRole).toLongLong();
        if (position > 0)
            Q_EMIT revealEventRequested(position);
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex &current) { showDetails(current); });
    // Opened at the newest command: scrolling to the top brings the page before it.
    connect(m_table->verticalScrollBar(), &QScrollBar::valueChanged, this, [this](int value) {
        const QScrollBar *bar = m_table->verticalScrollBar();
        if (value == bar->minimum() && bar->maximum() > 0 && m_model->hasOlder())
            loadOlder();
    });
    connect(m_model, &QAbstractItemModel::rowsAboutToBeInserted, this, &CommandLogView::rememberScroll);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, &CommandLogView::followScroll);
    connect(m_model, &QAbstractItemModel::dataChanged, this,
            [this](const QModelIndex &topLeft, const QModelIndex &bottomRight) {
                const QModelIndex current = m_table->currentIndex();
                if (!current.isValid())
                    return;
                const QModelIndex source = m_outcomeProxy->mapToSource(m_textProxy->mapToSource(current));
                if (source.row() >= topLeft.row() && source.row() <= bottomRight.row())
                    showDetails(current);
            });
    connect(m_textProxy, &QAbstractItemModel::rowsInserted, this, &CommandLogView::updateCount);
    connect(m_textProxy, &QAbstractItemModel::rowsRemoved, this, &CommandLogView::updateCount);
    connect(m_textProxy, &QAbstractItemModel::modelReset, this, &CommandLogView::updateCount);
    connect(m_textProxy, &QAbstractItemModel::layoutChanged, this, &CommandLogView::updateCount);

    m_poll.setInterval(PollIntervalMs);
    connect(&m_poll, &QTimer::timeout, m_model, &CommandLogModel::refresh);
    setSession(nullptr);
}

CommandLogView::~CommandLogView()
{
    disconnectDescendants(this);
}

void CommandLogView::setSession(Session *session)
{
    if (m_session)
        disconnect(m_session, nullptr, this, nullptr);
    m_session = session;
    m_details->clear();
    m_detailsTitle->setText(tr("<i>Select a command to see its full record.</i>"));
    m_model->setEventOutcomes(m_session && m_session->domain() ? m_session->domain()->info().eventOutcomes
                                                               : QHash<QString, QString>());
    m_model->setStore(m_session ? m_session->store() : nullptr);
    if (m_session) {
        connect(m_session, &Session::commandExecuted, this,
                [this](const CommandResult &result) { m_model->applyResult(result.record); });
        connect(m_session, &Session::eventsAppended, this, [this] { m_model->refresh(); });
        connect(m_session, &Session::packChanged, this, [this] {
            m_model->setEventOutcomes(m_session->domain() ? m_session->domain()->info().eventOutcomes
                                                          : QHash<QString, QString>());
        });
    }
    m_table->scrollToBottom();
    updateCount();
}

void CommandLogView::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    m_model->refresh();
    m_poll.start();
}

void CommandLogView::hideEvent(QHideEvent *event)
{
    QWidget::hideEvent(event);
    m_poll.stop();
}

void CommandLogView::applyFilters()
{
    const int outcome = m_outcome->currentData().toInt();
    if (outcome < 0)
        m_outcomeProxy->setFilterRegularExpression(QString());
    else
        m_outcomeProxy->setFilterRegularExpression(QRegularExpression(
            u"^%1$"_s.arg(QRegularExpression::escape(outcomeName(CommandOutcome(outcome))))));
    m_textProxy->setFilterFixedString(m_filter->text().trimmed());
    updateCount();
}

void CommandLogView::updateCount()
{
    if (!m_session) {
        m_count->setText(tr("No store is open."));
        return;
    }
    // The count is the whole log's, loaded or not.
    const qint64 total = m_model->totalCount();
    const bool filtered = m_textProxy->rowCount() != m_model->rowCount();
    QString text = total == 1 ? tr("1 command") : tr("%L1 commands").arg(total);
    if (filtered)
        text = tr("%L1 shown of %2").arg(m_textProxy->rowCount()).arg(text);
    if (m_model->hasOlder())
        text += u' ' + tr("(the newest %L1 loaded; scroll up for older)").arg(m_model->rowCount());
    if (!m_model->lastError().isEmpty())
        text += u" — "_s + m_model->lastError();
    m_count->setText(text);
}

void CommandLogView::loadOlder()
{
    // Keep the row at the top where it is: the older rows go above it, out of sight.
    const QModelIndex top = m_table->indexAt(QPoint(0, 0));
    const QString id = top.isValid() ? top.data(CommandLogModel::CommandIdRole).toString() : QString();
    m_model->fetchOlder();
    updateCount();
    const int row = m_model->rowOf(id);
    if (row >= 0) {
        const QModelIndex again = m_textProxy->mapFromSource(m_outcomeProxy->mapFromSource(m_model->index(row, 0)));
        if (again.isValid())
            m_table->scrollTo(again, QAbstractItemView::PositionAtTop);
    }
}

void CommandLogView::rememberScroll()
{
    const QScrollBar *bar = m_table->verticalScrollBar();
    m_wasAtBottom = bar->value() >= bar->maximum() - 2;
}

void CommandLogView::followScroll()
{
    // Like a terminal: new commands scroll into view unless the user scrolled up to read.
    if (m_wasAtBottom && m_model->isComplete())
        QTimer::singleShot(0, m_table, &QTableView::scrollToBottom);
}

void CommandLogView::showDetails(const QModelIndex &index)
{
    if (!index.isValid()) {
        m_details->clear();
        return;
    }
    const QModelIndex source = m_outcomeProxy->mapToSource(m_textProxy->mapToSource(index));
    const CommandLogRow &row = m_model->rowAt(source.row());
    const CommandRecord &r = row.record;
    QString title = u"<b>%1</b> on <b>%2</b>: <span style=\"color:%3\"><b>%4 %5</b></span>"_s.arg(
        r.type.toHtmlEscaped(), r.stream.toHtmlEscaped(), outcomestyle::foreground(r.outcome).name(),
        outcomestyle::symbol(r.outcome), outcomestyle::title(r.outcome));
    if (!r.reason.isEmpty())
        title += u"<br>"_s + r.reason.toHtmlEscaped();
    if (!row.logged)
        title += u"<br><i>"_s + tr("Not in the command log: it failed before it could be logged.") + u"</i>"_s;
    m_detailsTitle->setText(title);
    m_details->setJson(r.toJson());
}

} // namespace es
