#pragma once

#include "types.h"

#include <QPointer>
#include <QWidget>

class QLabel;
class QPushButton;
class QTabWidget;
class QTreeWidget;
class QTreeWidgetItem;

namespace es {

class HistoricalBanner;

class JsonTreeWidget;
class Session;
struct CausalNode;

// One event in depth: its data and metadata as a JSON tree, its hash checked
// against its content and the previous event's hash, the aggregate state
// before and after it (changed keys highlighted), and its correlation as a
// causal tree. Navigation (stream, correlation, replay, timeline) goes out as
// requests for the main window to route.
//
// The slot showEvent(const RecordedEvent &) is named as the main window routes
// it; it hides QWidget::showEvent(QShowEvent *), which this view does not
// override (an override would make &InspectorView::showEvent ambiguous).
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Woverloaded-virtual"
#elif defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverloaded-virtual"
#endif
class InspectorView : public QWidget {
    Q_OBJECT
public:
    // The As Of cursor (0: live): a marker saying what it means here.
    void setAsOfPosition(qint64 position);

    enum class HashStatus { Unknown, Verified, Mismatch };
    enum Tab { EventTab, StateTab, CorrelationTab };

    explicit InspectorView(QWidget *parent = nullptr);
    ~InspectorView() override;

    void setSession(es::Session *session);
    bool hasEvent() const { return m_event.position > 0; }
    const RecordedEvent &event() const { return m_event; }
    HashStatus hashStatus() const { return m_hashStatus; }
    void setCurrentTab(Tab tab);

public Q_SLOTS:
    void showEvent(const es::RecordedEvent &event);
    // Builds the correlation tree of the shown event and asks for the correlation to be shown elsewhere too.
    void showCorrelation();

Q_SIGNALS:
    void showStreamRequested(const QString &stream);
    void showCorrelationRequested(const QString &correlationId);
    void replayRequested(const QString &stream, qint64 version);
    void revealEventRequested(qint64 position);

private:
    void clearView(const QString &message);
    void checkHash();
    void refreshTab();
    void buildState();
    void buildCorrelation();
    QTreeWidgetItem *addCausalItem(QTreeWidgetItem *parent, const CausalNode &node);
    QString correlationId() const;

    QPointer<Session> m_session;
    RecordedEvent m_event;
    HashStatus m_hashStatus = HashStatus::Unknown;
    bool m_stateBuilt = false;
    bool m_correlationBuilt = false;

    QLabel *m_title;
    QLabel *m_hash;
    QPushButton *m_showStream;
    QPushButton *m_showCorrelation;
    QPushButton *m_replay;
    QPushButton *m_reveal;
    QTabWidget *m_tabs;
    JsonTreeWidget *m_eventTree;
    QLabel *m_stateSummary;
    QLabel *m_beforeTitle;
    QLabel *m_afterTitle;
    JsonTreeWidget *m_before;
    JsonTreeWidget *m_after;
    QLabel *m_correlationSummary;
    QTreeWidget *m_correlation;
    HistoricalBanner *m_historical = nullptr;
};
#if defined(__clang__)
#pragma clang diagnostic pop
#elif defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

} // namespace es
