#include "inspectorview.h"

#include "common/historicalbanner.h"

#include "causaltree.h"
#include "common/eventlistmodel.h"
#include "common/flowlayout.h"
#include "common/jsontreewidget.h"
#include "common/outcomestyle.h"
#include "common/teardown.h"
#include "session.h"
#include "timetravel.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace es {

namespace {
enum ItemRole { PositionRole = Qt::UserRole + 1, KindRole };

QString shortHash(const QByteArray &hash)
{
    const QString h = QString::fromLatin1(hash);
    return h.size() > 16 ? h.left(8) + u'…' + h.right(8) : h;
}

QLabel *sectionTitle(const QString &objectName, QWidget *parent)
{
    auto *l = new QLabel(parent);
    l->setObjectName(objectName);
    l->setTextFormat(Qt::RichText);
    return l;
}
} // namespace

InspectorView::InspectorView(QWidget *parent)
    : QWidget(parent)
    , m_title(new QLabel(this))
    , m_hash(new QLabel(this))
    , m_showStream(new QPushButton(tr("Show stream"), this))
    , m_showCorrelation(new QPushButton(tr("Show correlation"), this))
    , m_replay(new QPushButton(tr("Replay to here"), this))
    , m_reveal(new QPushButton(tr("Reveal"), this))
    , m_tabs(new QTabWidget(this))
    , m_eventTree(new JsonTreeWidget(this))
    , m_stateSummary(new QLabel(this))
    , m_beforeTitle(sectionTitle(u"beforeTitle"_s, this))
    , m_afterTitle(sectionTitle(u"afterTitle"_s, this))
    , m_before(new JsonTreeWidget(this))
    , m_after(new JsonTreeWidget(this))
    , m_correlationSummary(new QLabel(this))
    , m_correlation(new QTreeWidget(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_title->setObjectName(u"inspectorTitle"_s);
    m_title->setTextFormat(Qt::RichText);
    m_title->setWordWrap(true);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_historical = new HistoricalBanner(tr("As Of #%1 is set: this inspector shows events and state as recorded, live."), this);
    layout->addWidget(m_historical);
    layout->addWidget(m_title);
    m_hash->setObjectName(u"hashLabel"_s);
    m_hash->setTextFormat(Qt::RichText);
    m_hash->setWordWrap(true);
    m_hash->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_hash);

    auto *buttons = new FlowLayout; // wraps in a narrow dock
    m_showStream->setObjectName(u"showStreamButton"_s);
    m_showStream->setToolTip(tr("Show this event's stream in the timeline and the streams list"));
    m_showCorrelation->setObjectName(u"showCorrelationButton"_s);
    m_showCorrelation->setToolTip(tr("Every command and event sharing this event's correlation id, as a causal tree"));
    m_replay->setObjectName(u"replayButton"_s);
    m_replay->setToolTip(tr("Rebuild the aggregate as of this event"));
    m_reveal->setObjectName(u"revealButton"_s);
    m_reveal->setToolTip(tr("Scroll the timeline to this event"));
    for (QPushButton *b : {m_showStream, m_showCorrelation, m_replay, m_reveal}) {
        b->setAutoDefault(false);
        buttons->addWidget(b);
    }
    layout->addLayout(buttons);

    m_tabs->setObjectName(u"inspectorTabs"_s);
    m_eventTree->setObjectName(u"eventTree"_s);
    m_tabs->addTab(m_eventTree, tr("Event"));

    auto *state = new QWidget(this);
    auto *stateLayout = new QVBoxLayout(state);
    stateLayout->setContentsMargins(0, 4, 0, 0);
    m_stateSummary->setObjectName(u"stateSummary"_s);
    m_stateSummary->setWordWrap(true);
    m_stateSummary->setTextFormat(Qt::RichText);
    stateLayout->addWidget(m_stateSummary);
    auto *stateSplit = new QSplitter(Qt::Vertical, state);
    auto pane = [stateSplit](QLabel *title, JsonTreeWidget *tree, const QString &name) {
        auto *w = new QWidget(stateSplit);
        auto *l = new QVBoxLayout(w);
        l->setContentsMargins(0, 0, 0, 0);
        tree->setObjectName(name);
        l->addWidget(title);
        l->addWidget(tree, 1);
        stateSplit->addWidget(w);
    };
    pane(m_afterTitle, m_after, u"stateAfter"_s);
    pane(m_beforeTitle, m_before, u"stateBefore"_s);
    stateSplit->setChildrenCollapsible(false);
    stateLayout->addWidget(stateSplit, 1);
    m_tabs->addTab(state, tr("State"));

    auto *corr = new QWidget(this);
    auto *corrLayout = new QVBoxLayout(corr);
    corrLayout->setContentsMargins(0, 4, 0, 0);
    m_correlationSummary->setObjectName(u"correlationSummary"_s);
    m_correlationSummary->setWordWrap(true);
    m_correlationSummary->setTextFormat(Qt::RichText);
    corrLayout->addWidget(m_correlationSummary);
    m_correlation->setObjectName(u"correlationTree"_s);
    m_correlation->setHeaderLabels({tr("Step"), tr("Stream"), tr("Detail")});
    m_correlation->setUniformRowHeights(true);
    m_correlation->setAlternatingRowColors(true);
    m_correlation->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_correlation->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_correlation->setToolTip(tr("Double-click an event to show it in the timeline"));
    corrLayout->addWidget(m_correlation, 1);
    m_tabs->addTab(corr, tr("Correlation"));
    layout->addWidget(m_tabs, 1);

    connect(m_showStream, &QPushButton::clicked, this, [this] {
        if (hasEvent())
            Q_EMIT showStreamRequested(m_event.stream);
    });
    connect(m_showCorrelation, &QPushButton::clicked, this, &InspectorView::showCorrelation);
    connect(m_replay, &QPushButton::clicked, this, [this] {
        if (hasEvent())
            Q_EMIT replayRequested(m_event.stream, m_event.version);
    });
    connect(m_reveal, &QPushButton::clicked, this, [this] {
        if (hasEvent())
            Q_EMIT revealEventRequested(m_event.position);
    });
    connect(m_tabs, &QTabWidget::currentChanged, this, &InspectorView::refreshTab);
    connect(m_correlation, &QTreeWidget::itemActivated, this, [this](QTreeWidgetItem *item) {
        const qint64 position = item->data(0, PositionRole).toLongLong();
        if (position > 0)
            Q_EMIT revealEventRequested(position);
    });
    setSession(nullptr);
}

InspectorView::~InspectorView()
{
    disconnectDescendants(this);
}

void InspectorView::setSession(Session *session)
{
    if (m_session)
        disconnect(m_session, nullptr, this, nullptr);
    m_session = session;
    if (m_session) {
        connect(m_session, &Session::packChanged, this, [this] {
            m_stateBuilt = false;
            refreshTab();
        });
        // A reaction (or anyone) may add to the correlation after it was drawn.
        connect(m_session, &Session::eventsAppended, this, [this](const EventList &events) {
            const QByteArray id = correlationId().toUtf8();
            if (id.isEmpty())
                return;
            // A byte search is enough to skip the usual case: events of other correlations.
            const bool ours = std::any_of(events.cbegin(), events.cend(),
                                          [&id](const RecordedEvent &e) { return e.metadata.contains(id); });
            if (!ours)
                return;
            m_correlationBuilt = false;
            refreshTab();
        });
    }
    clearView(m_session ? tr("Select an event to inspect it.") : tr("No store is open."));
}

void InspectorView::clearView(const QString &message)
{
    m_event = RecordedEvent();
    m_hashStatus = HashStatus::Unknown;
    m_title->setText(u"<i>%1</i>"_s.arg(message.toHtmlEscaped()));
    m_hash->clear();
    m_eventTree->clear();
    m_before->clear();
    m_after->clear();
    m_beforeTitle->clear();
    m_afterTitle->clear();
    m_stateSummary->clear();
    m_correlation->clear();
    m_correlationSummary->clear();
    m_stateBuilt = m_correlationBuilt = true;
    for (QPushButton *b : {m_showStream, m_showCorrelation, m_replay, m_reveal})
        b->setEnabled(false);
}

void InspectorView::setCurrentTab(Tab tab)
{
    m_tabs->setCurrentIndex(tab);
    refreshTab();
}

QString InspectorView::correlationId() const
{
    return m_event.metadataObject().value(meta::CorrelationId).toString();
}

void InspectorView::showEvent(const RecordedEvent &event)
{
    if (!m_session || event.position <= 0) {
        clearView(m_session ? tr("Select an event to inspect it.") : tr("No store is open."));
        return;
    }
    m_event = event;
    checkHash(); // also re-reads the event: what is shown is what the store holds

    const QJsonObject md = m_event.metadataObject();
    QString title = u"<b>%1</b> <span style=\"color:gray\">#%2</span><br>%3 · version %4 · %5 UTC"_s.arg(
        m_event.type.toHtmlEscaped(), QString::number(m_event.position), m_event.stream.toHtmlEscaped(),
        QString::number(m_event.version), m_event.recorded().toString(u"yyyy-MM-dd HH:mm:ss.zzz"_s));
    if (const QString actor = md.value(meta::Actor).toString(); !actor.isEmpty())
        title += u" · "_s + tr("by %1").arg(actor.toHtmlEscaped());
    m_title->setText(title);

    const QJsonObject envelope{
        {u"eventId"_s, m_event.eventId},        {u"position"_s, m_event.position},
        {u"stream"_s, m_event.stream},          {u"version"_s, m_event.version},
        {u"type"_s, m_event.type},              {u"recordedAt"_s, m_event.recordedIso()},
        {u"schemaVersion"_s, m_event.schemaVersion}, {u"hash"_s, QString::fromLatin1(m_event.hash)},
    };
    m_eventTree->setSections({{u"data"_s, m_event.dataObject()}, {u"metadata"_s, md}, {u"event"_s, envelope}});
    m_eventTree->collapse(m_eventTree->jsonModel()->index(2, 0));

    for (QPushButton *b : {m_showStream, m_replay, m_reveal})
        b->setEnabled(true);
    m_showCorrelation->setEnabled(!correlationId().isEmpty());
    m_stateBuilt = m_correlationBuilt = false;
    refreshTab();
}

void InspectorView::checkHash()
{
    // The previous event's stored hash and this event's stored content must
    // give this event's stored hash. (Verify checks the whole chain.)
    EventStore *store = m_session->store();
    const qint64 p = m_event.position;
    auto rows = store->readForward(qMax<qint64>(1, p - 1), 2);
    const RecordedEvent *stored = nullptr;
    const RecordedEvent *previous = nullptr;
    if (rows) {
        for (const RecordedEvent &e : std::as_const(*rows)) {
            if (e.position == p)
                stored = &e;
            else if (e.position == p - 1)
                previous = &e;
        }
    }
    if (!stored) {
        m_hashStatus = HashStatus::Unknown;
        m_hash->setText(tr("Hash not checked: event #%1 is not in this store.").arg(p));
        return;
    }
    m_event = *stored;
    const QString hashHtml = u"<code>%1</code>"_s.arg(shortHash(m_event.hash));
    m_hash->setToolTip(tr("Stored hash: %1").arg(QString::fromLatin1(m_event.hash)));
    if (p > 1 && !previous) {
        m_hashStatus = HashStatus::Mismatch;
        m_hash->setText(tr("<span style=\"color:#c62828\"><b>✘ MISMATCH</b></span>: event #%1, to which this "
                           "event is chained, is missing: events were deleted.")
                            .arg(p - 1));
        return;
    }
    const QByteArray recomputed = EventStore::computeHash(previous ? previous->hash : QByteArray(), m_event);
    if (recomputed == m_event.hash) {
        m_hashStatus = HashStatus::Verified;
        m_hash->setText(
            tr("Hash %1 <span style=\"color:#2e7d32\"><b>✔ hash verified</b></span>: it matches this event's "
               "content, chained to %2.")
                .arg(hashHtml, p > 1 ? tr("event #%1").arg(p - 1) : tr("the start of the store")));
    } else {
        m_hashStatus = HashStatus::Mismatch;
        m_hash->setText(tr("Hash %1 <span style=\"color:#c62828\"><b>✘ MISMATCH</b></span>: this event's content "
                           "gives <code>%2</code>. The event (or the previous event's hash) was altered after it "
                           "was written.")
                            .arg(hashHtml, shortHash(recomputed)));
    }
}

void InspectorView::refreshTab()
{
    if (!hasEvent())
        return;
    if (m_tabs->currentIndex() == StateTab && !m_stateBuilt)
        buildState();
    else if (m_tabs->currentIndex() == CorrelationTab && !m_correlationBuilt)
        buildCorrelation();
}

void InspectorView::buildState()
{
    m_stateBuilt = true;
    m_before->clear();
    m_after->clear();
    m_beforeTitle->clear();
    m_afterTitle->clear();
    if (!m_session->domain()) {
        m_stateSummary->setText(tr("<i>Load a domain pack to see the state before and after this event.</i>"));
        return;
    }
    TimeTravel travel(m_session->store(), m_session->domain());
    auto steps = travel.history(m_event.stream, m_event.version, m_event.version);
    if (!steps || steps->isEmpty()) {
        m_stateSummary->setText(u"<span style=\"color:#c62828\">%1</span>"_s.arg(
            (steps ? tr("No event at version %1").arg(m_event.version) : steps.error().message).toHtmlEscaped()));
        return;
    }
    const HistoryStep &step = steps->constFirst();
    m_before->setJson(step.before);
    m_after->setJson(step.after, step.before);
    m_beforeTitle->setText(tr("<b>Before</b> (version %1)").arg(m_event.version - 1));
    m_afterTitle->setText(tr("<b>After</b> (version %1), changes highlighted").arg(m_event.version));
    const QStringList changed = m_after->jsonModel()->changedPaths();
    if (changed.isEmpty()) {
        m_stateSummary->setText(tr("This event changed nothing in the state."));
        return;
    }
    QStringList items;
    for (const QString &path : changed)
        items << u"<b>%1</b>"_s.arg(path.toHtmlEscaped());
    m_stateSummary->setText(tr("Changed: %1").arg(items.join(u", "_s)));
}

QTreeWidgetItem *InspectorView::addCausalItem(QTreeWidgetItem *parent, const CausalNode &node)
{
    auto *item = parent ? new QTreeWidgetItem(parent) : new QTreeWidgetItem(m_correlation);
    if (node.kind == CausalNode::Kind::Command) {
        const CommandRecord &c = node.command;
        item->setData(0, KindRole, u"command"_s);
        item->setData(0, PositionRole, c.firstPosition);
        item->setText(0, u"⌘ "_s + (c.type.isEmpty() ? tr("command %1").arg(c.commandId.left(8)) : c.type));
        item->setText(1, c.stream);
        QStringList tip{tr("Command %1").arg(c.commandId)};
        if (node.inLog) {
            QString detail = outcomestyle::symbol(c.outcome) + u' ' + outcomestyle::title(c.outcome);
            if (!c.reason.isEmpty())
                detail += u": "_s + c.reason;
            item->setText(2, detail);
            item->setForeground(2, outcomestyle::foreground(c.outcome));
        } else {
            item->setText(2, tr("(no command log row)"));
            item->setForeground(2, Qt::gray);
        }
        const QString reaction = c.metadata.value(u"reaction"_s).toString();
        if (!reaction.isEmpty())
            tip << tr("issued by the reaction %1").arg(reaction);
        if (const QString actor = c.metadata.value(meta::Actor).toString(); !actor.isEmpty())
            tip << tr("actor %1").arg(actor);
        item->setToolTip(0, tip.join(u'\n'));
    } else {
        const RecordedEvent &e = node.event;
        item->setData(0, KindRole, u"event"_s);
        item->setData(0, PositionRole, e.position);
        item->setText(0, u"● "_s + e.type);
        item->setText(1, tr("%1 v%2").arg(e.stream).arg(e.version));
        item->setText(2, u"#%1  %2"_s.arg(e.position).arg(EventListModel::dataSummary(e, 80)));
        item->setToolTip(0, tr("Event %1 at position %2").arg(e.eventId).arg(e.position));
        if (e.position == m_event.position) {
            QFont f = item->font(0);
            f.setBold(true);
            for (int col = 0; col < 3; ++col) {
                item->setFont(col, f);
                item->setBackground(col, QColor(0xff, 0xec, 0xb3));
            }
            item->setToolTip(0, item->toolTip(0) + u'\n' + tr("(the event shown in the inspector)"));
        }
    }
    for (const CausalNode &child : node.children)
        addCausalItem(item, child);
    return item;
}

void InspectorView::buildCorrelation()
{
    m_correlationBuilt = true;
    m_correlation->clear();
    const QString id = correlationId();
    if (id.isEmpty()) {
        m_correlationSummary->setText(tr("<i>This event has no correlation id.</i>"));
        return;
    }
    auto tree = CausalTree::load(m_session->store(), id);
    if (!tree) {
        m_correlationSummary->setText(tree.error().message.toHtmlEscaped());
        return;
    }
    for (const CausalNode &root : tree->roots)
        addCausalItem(nullptr, root);
    m_correlation->expandAll();
    QString summary = tr("Correlation <code>%1</code>: %2, %3")
                          .arg(id.toHtmlEscaped(), (tree->commandCount == 1 ? tr("1 command") : tr("%1 commands").arg(tree->commandCount)),
                               (tree->eventCount == 1 ? tr("1 event") : tr("%1 events").arg(tree->eventCount)));
    if (tree->truncated)
        summary += u' ' + tr("(the first events only)");
    m_correlationSummary->setText(summary);
    // Bring the inspected event into view.
    for (QTreeWidgetItemIterator it(m_correlation); *it; ++it) {
        if ((*it)->data(0, KindRole).toString() == u"event" &&
            (*it)->data(0, PositionRole).toLongLong() == m_event.position) {
            m_correlation->setCurrentItem(*it);
            m_correlation->scrollToItem(*it);
            break;
        }
    }
}

void InspectorView::showCorrelation()
{
    if (!hasEvent() || correlationId().isEmpty())
        return;
    setCurrentTab(CorrelationTab);
    Q_EMIT showCorrelationRequested(correlationId());
}

void InspectorView::setAsOfPosition(qint64 position)
{
    m_historical->setAsOfPosition(position);
}

} // namespace es
