#include "domaincompareview.h"
#include "common/localshortcut.h"

#include "common/jsontreewidget.h"
#include "common/teardown.h"
#include "divergencemodel.h"
#include "eventstore.h"
#include "jsdomain.h"
#include "session.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace es {

namespace {

// Hides equal streams on demand; sorts numbers as numbers.
class DivergenceProxy : public QSortFilterProxyModel {
public:
    explicit DivergenceProxy(QObject *parent)
        : QSortFilterProxyModel(parent)
    {
        setSortRole(DivergenceModel::SortRole);
    }
    void setHideEqual(bool hide)
    {
        m_hideEqual = hide;
        invalidateFilter();
    }

protected:
    bool filterAcceptsRow(int row, const QModelIndex &parent) const override
    {
        if (!m_hideEqual)
            return true;
        const QModelIndex i = sourceModel()->index(row, 0, parent);
        return i.data(DivergenceModel::StatusRole).toInt() != int(StreamDivergence::Status::Equal);
    }

private:
    bool m_hideEqual = false;
};

} // namespace

DomainCompareView::DomainCompareView(QWidget *parent)
    : QWidget(parent)
    , m_compare(new DomainCompare(this))
    , m_model(new DivergenceModel(this))
    , m_proxy(new DivergenceProxy(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    auto *grid = new QGridLayout;
    m_packA = new QLabel(this);
    m_packA->setObjectName(u"packA"_s);
    m_packA->setTextInteractionFlags(Qt::TextSelectableByMouse);
    grid->addWidget(new QLabel(tr("Pack A (current):"), this), 0, 0);
    grid->addWidget(m_packA, 0, 1, 1, 2);
    auto *bLabel = new QLabel(tr("Pack &B:"), this);
    m_packB = new QLineEdit(this);
    m_packB->setObjectName(u"packB"_s);
    m_packB->setPlaceholderText(tr("another version of the pack (.js)"));
    m_packB->setToolTip(tr("The pack to compare with the session's; press Enter to load it"));
    bLabel->setBuddy(m_packB);
    m_browse = new QPushButton(tr("Browse…"), this);
    m_browse->setObjectName(u"browsePackB"_s);
    m_browse->setToolTip(tr("Choose pack B (Ctrl+Shift+B)"));
    setLocalShortcut(m_browse, QKeySequence(u"Ctrl+Shift+B"_s), this);
    grid->addWidget(bLabel, 1, 0);
    grid->addWidget(m_packB, 1, 1);
    grid->addWidget(m_browse, 1, 2);
    m_packBInfo = new QLabel(this);
    m_packBInfo->setObjectName(u"packBInfo"_s);
    m_packBInfo->setWordWrap(true);
    m_packBInfo->setTextInteractionFlags(Qt::TextSelectableByMouse);
    grid->addWidget(m_packBInfo, 2, 1, 1, 2);
    grid->setColumnStretch(1, 1);
    layout->addLayout(grid);

    auto *row = new QHBoxLayout;
    auto *sLabel = new QLabel(tr("&Streams:"), this);
    m_filter = new QComboBox(this);
    m_filter->setObjectName(u"streamFilter"_s);
    m_filter->addItem(tr("All"), int(DomainCompare::Filter::All));
    m_filter->addItem(tr("With prefix"), int(DomainCompare::Filter::Prefix));
    m_filter->addItem(tr("Listed"), int(DomainCompare::Filter::Selected));
    sLabel->setBuddy(m_filter);
    m_filterText = new QLineEdit(this);
    m_filterText->setObjectName(u"streamFilterText"_s);
    m_compareButton = new QPushButton(tr("&Compare"), this);
    m_compareButton->setObjectName(u"compareButton"_s);
    m_compareButton->setToolTip(tr("Replay the streams under both packs (Ctrl+Return)"));
    setLocalShortcut(m_compareButton, QKeySequence(u"Ctrl+Return"_s), this);
    m_cancelButton = new QPushButton(tr("Cancel"), this);
    m_cancelButton->setObjectName(u"cancelCompare"_s);
    setLocalShortcut(m_cancelButton, QKeySequence(Qt::Key_Escape), this);
    m_cancelButton->setToolTip(tr("Stop the comparison (Esc)"));
    m_cancelButton->setVisible(false);
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(u"compareProgress"_s);
    m_progress->setVisible(false);
    m_progress->setMaximumWidth(220);
    row->addWidget(sLabel);
    row->addWidget(m_filter);
    row->addWidget(m_filterText, 1);
    row->addWidget(m_compareButton);
    row->addWidget(m_progress);
    row->addWidget(m_cancelButton);
    layout->addLayout(row);

    auto *summaryRow = new QHBoxLayout;
    m_summary = new QLabel(this);
    m_summary->setObjectName(u"compareSummary"_s);
    m_summary->setWordWrap(true);
    m_hideEqual = new QCheckBox(tr("&Hide equal streams"), this);
    m_hideEqual->setObjectName(u"hideEqual"_s);
    summaryRow->addWidget(m_summary, 1);
    summaryRow->addWidget(m_hideEqual);
    layout->addLayout(summaryRow);

    auto *split = new QSplitter(Qt::Vertical, this);
    m_proxy->setSourceModel(m_model);
    m_table = new QTableView(split);
    m_table->setObjectName(u"compareResults"_s);
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(-1, Qt::AscendingOrder);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setColumnWidth(DivergenceModel::StreamColumn, 140);
    m_table->setColumnWidth(DivergenceModel::StatusColumn, 70);
    m_table->setColumnWidth(DivergenceModel::VersionColumn, 150);
    m_table->setColumnWidth(DivergenceModel::EventTypeColumn, 140);
    m_table->setColumnWidth(DivergenceModel::PathsColumn, 200);
    m_table->setToolTip(tr("Select a stream to see both states at the divergence; double-click to show its event"));
    split->addWidget(m_table);

    auto *detail = new QWidget(split);
    auto *dv = new QVBoxLayout(detail);
    dv->setContentsMargins(0, 0, 0, 0);
    auto *dRow = new QHBoxLayout;
    m_detail = new QLabel(detail);
    m_detail->setObjectName(u"divergenceDetail"_s);
    m_detail->setWordWrap(true);
    m_detail->setTextFormat(Qt::RichText);
    m_reveal = new QPushButton(tr("&Reveal event"), detail);
    m_reveal->setObjectName(u"revealDivergence"_s);
    m_reveal->setToolTip(tr("Show the first divergent event in the timeline"));
    dRow->addWidget(m_detail, 1);
    dRow->addWidget(m_reveal);
    dv->addLayout(dRow);
    auto *sides = new QSplitter(Qt::Horizontal, detail);
    auto side = [&](QLabel *&title, JsonTreeWidget *&tree, const QString &name) {
        auto *box = new QWidget(sides);
        auto *bv = new QVBoxLayout(box);
        bv->setContentsMargins(0, 0, 0, 0);
        title = new QLabel(box);
        title->setTextFormat(Qt::RichText);
        tree = new JsonTreeWidget(box);
        tree->setObjectName(name);
        bv->addWidget(title);
        bv->addWidget(tree, 1);
        sides->addWidget(box);
    };
    side(m_titleA, m_stateA, u"stateA"_s);
    side(m_titleB, m_stateB, u"stateB"_s);
    dv->addWidget(sides, 1);
    split->addWidget(detail);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    layout->addWidget(split, 1);

    QSettings settings;
    m_packB->setText(settings.value(u"compare/packB"_s).toString());
    m_filter->setCurrentIndex(qBound(0, settings.value(u"compare/filter"_s, 0).toInt(), 2));
    m_hideEqual->setChecked(settings.value(u"compare/hideEqual"_s, false).toBool());
    static_cast<DivergenceProxy *>(m_proxy)->setHideEqual(m_hideEqual->isChecked());

    auto filterChanged = [this] {
        const auto f = DomainCompare::Filter(m_filter->currentData().toInt());
        m_filterText->setEnabled(f != DomainCompare::Filter::All);
        m_filterText->setPlaceholderText(f == DomainCompare::Filter::Prefix ? tr("stream id prefix, e.g. account-")
                                         : f == DomainCompare::Filter::Selected
                                             ? tr("stream ids, separated by commas or spaces")
                                             : tr("every stream of the store"));
        QSettings().setValue(u"compare/filter"_s, m_filter->currentIndex());
    };
    connect(m_filter, &QComboBox::currentIndexChanged, this, filterChanged);
    filterChanged();
    connect(m_browse, &QPushButton::clicked, this, &DomainCompareView::choosePackB);
    connect(m_packB, &QLineEdit::returnPressed, this, [this] { setPackB(m_packB->text()); });
    connect(m_compareButton, &QPushButton::clicked, this, &DomainCompareView::compare);
    connect(m_cancelButton, &QPushButton::clicked, this, &DomainCompareView::cancel);
    connect(m_hideEqual, &QCheckBox::toggled, this, [this](bool on) {
        static_cast<DivergenceProxy *>(m_proxy)->setHideEqual(on);
        QSettings().setValue(u"compare/hideEqual"_s, on);
    });
    connect(m_compare, &DomainCompare::progress, this, [this](qint64 done, qint64 total) {
        m_progress->setRange(0, 1000);
        m_progress->setValue(total ? int(done * 1000 / total) : 0);
        m_progress->setFormat(tr("%1 of %2 streams").arg(done).arg(total));
    });
    connect(m_compare, &DomainCompare::finished, this, &DomainCompareView::showResults);
    connect(m_compare, &DomainCompare::failed, this, [this](const QString &message) {
        setError(message);
        updateEnabled();
    });
    connect(m_compare, &DomainCompare::runningChanged, this, [this](bool running) {
        m_progress->setVisible(running);
        m_cancelButton->setVisible(running);
        if (running) {
            m_progress->setRange(0, 0);
            m_progress->setFormat(tr("starting"));
        }
        updateEnabled();
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &DomainCompareView::showSelected);
    connect(m_table, &QTableView::doubleClicked, this, [this](const QModelIndex &index) {
        const qint64 p = index.data(DivergenceModel::PositionRole).toLongLong();
        if (p > 0)
            Q_EMIT revealEventRequested(p);
    });
    connect(m_reveal, &QPushButton::clicked, this, [this] {
        const qint64 p = m_table->currentIndex().data(DivergenceModel::PositionRole).toLongLong();
        if (p > 0)
            Q_EMIT revealEventRequested(p);
    });
    setSession(nullptr);
    if (!m_packB->text().isEmpty())
        setPackB(m_packB->text());
}

DomainCompareView::~DomainCompareView()
{
    disconnectDescendants(this);
}

void DomainCompareView::setSession(Session *session)
{
    if (m_session)
        disconnect(m_session, nullptr, this, nullptr);
    m_compare->cancel();
    m_session = session;
    m_model->setRows({});
    showSelected();
    if (session) {
        connect(session, &Session::packChanged, this, [this] { setSession(m_session); });
        if (JsDomain *a = session->domain())
            m_packA->setText(tr("%1 %2 — %3").arg(a->info().name, a->info().version, session->packPath()));
        else
            m_packA->setText(tr("<i>no pack loaded: load one in the workbench</i>"));
    } else {
        m_packA->setText(tr("<i>no store open</i>"));
    }
    m_summary->setText(session ? tr("Choose pack B and compare.") : QString());
    updateEnabled();
}

QString DomainCompareView::packB() const
{
    return m_packB->text();
}

QString DomainCompareView::errorText() const
{
    return m_bError;
}

void DomainCompareView::setError(const QString &text)
{
    m_bError = text;
    m_packBInfo->setText(text);
    m_packBInfo->setStyleSheet(text.isEmpty() ? QString() : u"color: #b00020;"_s);
}

bool DomainCompareView::setPackB(const QString &path)
{
    m_packB->setText(path);
    if (path.isEmpty()) {
        setError(QString());
        updateEnabled();
        return false;
    }
    // Loaded here once to report a broken pack at once; the comparison loads its own.
    auto b = JsDomain::load(path);
    if (!b) {
        setError(tr("Pack B does not load: %1").arg(b.error().message));
        updateEnabled();
        return false;
    }
    setError(QString());
    const DomainInfo &info = (*b)->info();
    m_packBInfo->setText(tr("%1 %2 (%3 aggregates, %4 projections)")
                             .arg(info.name, info.version)
                             .arg(info.aggregates.size())
                             .arg(info.projections.size()));
    QSettings().setValue(u"compare/packB"_s, path);
    updateEnabled();
    return true;
}

void DomainCompareView::choosePackB()
{
    const QString start = m_packB->text().isEmpty() && m_session ? QFileInfo(m_session->packPath()).absolutePath()
                                                                  : m_packB->text();
    const QString path = QFileDialog::getOpenFileName(this, tr("Choose pack B"), start, tr("Domain packs (*.js)"));
    if (!path.isEmpty())
        setPackB(path);
}

DomainCompare::Options DomainCompareView::options(QString *error) const
{
    DomainCompare::Options o;
    o.storePath = m_session ? m_session->storePath() : QString();
    o.packA = m_session ? m_session->packPath() : QString();
    o.packB = m_packB->text();
    o.filter = DomainCompare::Filter(m_filter->currentData().toInt());
    const QString text = m_filterText->text().trimmed();
    if (o.filter == DomainCompare::Filter::Prefix) {
        o.prefix = text;
        if (text.isEmpty())
            *error = tr("Give a stream prefix, or compare all streams.");
    } else if (o.filter == DomainCompare::Filter::Selected) {
        static const QRegularExpression separators(u"[,\\s]+"_s);
        o.streams = text.split(separators, Qt::SkipEmptyParts);
        if (o.streams.isEmpty())
            *error = tr("List the streams to compare.");
    }
    return o;
}

void DomainCompareView::compareStreams(const QStringList &streams)
{
    m_filter->setCurrentIndex(m_filter->findData(int(DomainCompare::Filter::Selected)));
    m_filterText->setText(streams.join(u", "_s));
    compare();
}

void DomainCompareView::compare()
{
    if (!m_session || !m_session->domain() || m_compare->isRunning())
        return;
    if (!setPackB(m_packB->text())) {
        if (m_packB->text().isEmpty())
            setError(tr("Choose pack B first."));
        return;
    }
    QString error;
    const DomainCompare::Options o = options(&error);
    if (!error.isEmpty()) {
        m_summary->setText(error);
        return;
    }
    m_model->setRows({});
    showSelected();
    m_summary->setText(tr("Comparing…"));
    const QString storePath = m_session->store()->path();
    if (storePath == u":memory:"_s || EventStore::isMemoryUri(storePath)) {
        // Only this thread's connection sees an in-memory store.
        auto b = JsDomain::load(o.packB);
        if (!b) {
            setError(b.error().message);
            return;
        }
        auto r = DomainCompare::run(m_session->store(), m_session->domain(), b->get(), o);
        if (!r) {
            setError(r.error().message);
            return;
        }
        showResults(*r);
        return;
    }
    m_compare->start(o);
}

void DomainCompareView::cancel()
{
    m_compare->cancel();
    m_summary->setText(tr("Cancelled."));
}

void DomainCompareView::showResults(const QList<StreamDivergence> &results)
{
    m_model->setRows(results);
    const DomainCompare::Summary s = DomainCompare::summarise(results);
    if (results.isEmpty())
        m_summary->setText(tr("No streams matched."));
    else if (s.differs == 0 && s.errors == 0)
        m_summary->setText(tr("All %n stream(s) replay to the same states under both packs.", nullptr,
                              int(results.size())));
    else
        m_summary->setText(tr("<b>%1 differ</b>, %2 error(s), %3 equal, of %4 stream(s).")
                               .arg(s.differs)
                               .arg(s.errors)
                               .arg(s.equal)
                               .arg(results.size()));
    // The first stream that differs is what one looks at first.
    for (int r = 0; r < m_proxy->rowCount(); ++r) {
        const QModelIndex i = m_proxy->index(r, 0);
        if (i.data(DivergenceModel::StatusRole).toInt() != int(StreamDivergence::Status::Equal)) {
            m_table->setCurrentIndex(i);
            break;
        }
    }
    updateEnabled();
}

void DomainCompareView::showSelected()
{
    const QModelIndex current = m_proxy->mapToSource(m_table->currentIndex());
    m_reveal->setEnabled(false);
    if (!current.isValid()) {
        m_detail->setText(tr("<i>Select a stream to see both states where they part.</i>"));
        m_stateA->clear();
        m_stateB->clear();
        m_titleA->setText(tr("<b>Pack A</b>"));
        m_titleB->setText(tr("<b>Pack B</b>"));
        return;
    }
    const StreamDivergence &d = m_model->rowAt(current.row());
    using S = StreamDivergence::Status;
    m_titleA->setText(tr("<b>Pack A</b> (current)"));
    m_titleB->setText(tr("<b>Pack B</b> (%1)").arg(QFileInfo(m_packB->text()).fileName().toHtmlEscaped()));
    switch (d.status) {
    case S::Equal:
        m_detail->setText(tr("<b>%1</b>: the same state after each of its %2 event(s).")
                              .arg(d.stream.toHtmlEscaped())
                              .arg(d.events));
        m_stateA->setJson(d.stateA);
        m_stateB->setJson(d.stateB);
        break;
    case S::Differs:
        if (d.version == 0)
            m_detail->setText(tr("<b>%1</b>: the packs start from different initial states.")
                                  .arg(d.stream.toHtmlEscaped()));
        else
            m_detail->setText(tr("<b>%1</b> first differs after version %2 — <b>%3</b> at position %4 "
                                 "(before it both agreed). Differing: %5")
                                  .arg(d.stream.toHtmlEscaped())
                                  .arg(d.version)
                                  .arg(d.eventType.toHtmlEscaped())
                                  .arg(d.position)
                                  .arg(d.paths.join(u", "_s).toHtmlEscaped()));
        m_stateA->setJson(d.stateA, d.stateB);
        m_stateB->setJson(d.stateB, d.stateA);
        m_stateA->expandToDepth(1);
        m_stateB->expandToDepth(1);
        m_reveal->setEnabled(d.position > 0);
        break;
    case S::Error:
        m_detail->setText(tr("<b>%1</b>: %2").arg(d.stream.toHtmlEscaped(), d.error.toHtmlEscaped()) +
                          (d.position > 0 ? tr(" (version %1, %2 at position %3)")
                                                .arg(d.version)
                                                .arg(d.eventType.toHtmlEscaped())
                                                .arg(d.position)
                                          : QString()));
        m_stateA->setJson(d.before);
        m_stateB->setJson(d.before);
        m_reveal->setEnabled(d.position > 0);
        break;
    }
}

void DomainCompareView::updateEnabled()
{
    const bool running = m_compare->isRunning();
    const bool can = m_session && m_session->domain();
    m_compareButton->setEnabled(can && !running && !m_packB->text().isEmpty() && m_bError.isEmpty());
    m_browse->setEnabled(!running);
    m_packB->setEnabled(!running);
    m_filter->setEnabled(!running);
}

} // namespace es
