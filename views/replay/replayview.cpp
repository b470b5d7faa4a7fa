#include "replayview.h"

#include "session.h"
#include "timetravel.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QSlider>
#include <QSpinBox>
#include <QToolButton>
#include <QTreeWidget>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace es {

ReplayView::ReplayView(QWidget *parent)
    : QWidget(parent)
    , m_title(new QLabel(this))
    , m_info(new QLabel(this))
    , m_slider(new QSlider(Qt::Horizontal, this))
    , m_version(new QSpinBox(this))
    , m_tree(new QTreeWidget(this))
{
    auto *layout = new QVBoxLayout(this);
    m_title->setObjectName(u"replayTitle"_s);
    m_title->setTextFormat(Qt::RichText);
    layout->addWidget(m_title);
    auto *row = new QHBoxLayout;
    auto *back = new QToolButton(this);
    back->setText(u"◀"_s);
    back->setToolTip(tr("One event back (Alt+Left)"));
    back->setShortcut(QKeySequence(u"Alt+Left"_s));
    auto *forward = new QToolButton(this);
    forward->setText(u"▶"_s);
    forward->setToolTip(tr("One event forward (Alt+Right)"));
    forward->setShortcut(QKeySequence(u"Alt+Right"_s));
    m_slider->setObjectName(u"replaySlider"_s);
    m_version->setObjectName(u"replayVersion"_s);
    m_version->setPrefix(tr("v"));
    row->addWidget(back);
    row->addWidget(m_slider, 1);
    row->addWidget(forward);
    row->addWidget(m_version);
    layout->addLayout(row);
    m_info->setObjectName(u"replayInfo"_s);
    m_info->setWordWrap(true);
    layout->addWidget(m_info);
    m_tree->setObjectName(u"replayState"_s);
    m_tree->setHeaderLabels({tr("Field"), tr("Value")});
    m_tree->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_tree->setAlternatingRowColors(true);
    layout->addWidget(m_tree, 1);

    connect(back, &QToolButton::clicked, this, [this] { m_version->setValue(m_version->value() - 1); });
    connect(forward, &QToolButton::clicked, this, [this] { m_version->setValue(m_version->value() + 1); });
    connect(m_slider, &QSlider::valueChanged, m_version, &QSpinBox::setValue);
    connect(m_version, &QSpinBox::valueChanged, this, [this](int v) {
        m_slider->setValue(v);
        replayTo(v);
    });
    setSession(nullptr);
}

void ReplayView::setSession(Session *session)
{
    if (m_session)
        disconnect(m_session, nullptr, this, nullptr);
    m_session = session;
    m_stream.clear();
    m_state = {};
    m_tree->clear();
    m_title->setText(tr("<i>Select an event and choose “Replay to here”.</i>"));
    m_info->clear();
    m_slider->setEnabled(false);
    m_version->setEnabled(false);
    if (m_session)
        connect(m_session, &Session::packChanged, this, [this] {
            if (!m_stream.isEmpty())
                replayTo(m_version->value());
        });
}

qint64 ReplayView::version() const
{
    return m_version->value();
}

void ReplayView::showReplay(const QString &stream, qint64 version)
{
    if (!m_session)
        return;
    const auto info = m_session->store()->streamInfo(stream);
    if (!info)
        return;
    m_stream = stream;
    m_title->setText(tr("<b>%1</b> (%2), %3 events").arg(stream.toHtmlEscaped(), info->type).arg(info->version));
    const QSignalBlocker blockSlider(m_slider);
    const QSignalBlocker blockSpin(m_version);
    m_slider->setRange(0, int(info->version));
    m_version->setRange(0, int(info->version));
    m_slider->setEnabled(true);
    m_version->setEnabled(true);
    m_slider->setValue(int(version));
    m_version->setValue(int(version));
    replayTo(version);
}

void ReplayView::replayTo(qint64 version)
{
    m_tree->clear();
    if (!m_session || m_stream.isEmpty())
        return;
    if (!m_session->domain()) {
        m_info->setText(tr("Load a domain pack to replay aggregates."));
        return;
    }
    TimeTravel tt(m_session->store(), m_session->domain());
    auto now = tt.atVersion(m_stream, version);
    if (!now) {
        m_info->setText(now.error().message);
        return;
    }
    QJsonObject before;
    QString eventText;
    if (version > 0) {
        if (auto prev = tt.atVersion(m_stream, version - 1))
            before = prev->state;
        if (auto e = m_session->store()->readStream(m_stream, version, version); e && !e->isEmpty())
            eventText = tr("after %1 at position %2 (%3)")
                            .arg(e->constFirst().type)
                            .arg(e->constFirst().position)
                            .arg(e->constFirst().recordedIso());
    } else {
        before = now->state;
        eventText = tr("the initial state, before any event");
    }
    m_state = now->state;
    QString info = tr("Version %1: %2.").arg(version).arg(eventText);
    if (now->snapshotVersion > 0)
        info += tr(" Rebuilt from the snapshot at version %1, then %2 event(s).")
                    .arg(now->snapshotVersion)
                    .arg(now->eventsApplied);
    info += tr(" Highlighted: fields this event changed.");
    m_info->setText(info);
    for (auto it = m_state.constBegin(); it != m_state.constEnd(); ++it)
        fill(nullptr, it.key(), it.value(), before.value(it.key()), it.key());
    m_tree->expandToDepth(1);
}

void ReplayView::fill(QTreeWidgetItem *parent, const QString &key, const QJsonValue &value, const QJsonValue &before,
                      const QString &path)
{
    auto *item = parent ? new QTreeWidgetItem(parent) : new QTreeWidgetItem(m_tree);
    item->setText(0, key);
    item->setData(0, Qt::UserRole, path);
    if (value.isObject()) {
        const QJsonObject o = value.toObject();
        item->setText(1, tr("{%1 fields}").arg(o.size()));
        for (auto it = o.constBegin(); it != o.constEnd(); ++it)
            fill(item, it.key(), it.value(), before.toObject().value(it.key()), path + u'.' + it.key());
    } else if (value.isArray()) {
        const QJsonArray a = value.toArray();
        item->setText(1, tr("[%1 items]").arg(a.size()));
        for (int i = 0; i < a.size(); ++i)
            fill(item, QString::number(i), a.at(i), before.toArray().at(i), path + u'[' + QString::number(i) + u']');
    } else {
        item->setText(1, QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact)).mid(1).chopped(1));
    }
    if (value != before) {
        QFont f = item->font(0);
        f.setBold(true);
        item->setFont(0, f);
        item->setFont(1, f);
        item->setBackground(1, QColor(255, 236, 179));
        item->setToolTip(1, tr("Changed by this event"));
    }
}

} // namespace es
