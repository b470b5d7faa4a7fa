#pragma once

#include "domaincompare.h"

#include <QPointer>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;

namespace es {

class DivergenceModel;
class JsonTreeWidget;
class Session;

// Domain compare: replays streams of the open store under the session's pack
// (A) and another version of it (B, a file) and shows, per stream, whether the
// states agree, and where they first part: the version, the event, the paths
// that differ, and both states side by side at that point.
class DomainCompareView : public QWidget {
    Q_OBJECT
public:
    explicit DomainCompareView(QWidget *parent = nullptr);
    ~DomainCompareView() override;

    void setSession(es::Session *session);

    // Pack B. Returns false (and shows why, with file and line) when it does not load.
    bool setPackB(const QString &path);
    QString packB() const;
    DivergenceModel *resultsModel() const { return m_model; }
    QSortFilterProxyModel *proxy() const { return m_proxy; }
    DomainCompare *engine() const { return m_compare; }
    QString errorText() const;

public Q_SLOTS:
    void compare();
    void cancel();
    // Compares these streams only (the lead may wire "compare the selected streams" here).
    void compareStreams(const QStringList &streams);
    void choosePackB();

Q_SIGNALS:
    // Show this event (the first divergent one) in the timeline.
    void revealEventRequested(qint64 position);
    void showStreamRequested(const QString &stream);

private:
    void showResults(const QList<StreamDivergence> &results);
    void showSelected();
    void updateEnabled();
    void setError(const QString &text);
    DomainCompare::Options options(QString *error) const;

    QPointer<Session> m_session;
    DomainCompare *m_compare;
    DivergenceModel *m_model;
    QSortFilterProxyModel *m_proxy;
    QString m_bError;

    QLabel *m_packA;
    QLineEdit *m_packB;
    QPushButton *m_browse;
    QLabel *m_packBInfo;
    QComboBox *m_filter;
    QLineEdit *m_filterText;
    QPushButton *m_compareButton;
    QPushButton *m_cancelButton;
    QProgressBar *m_progress;
    QLabel *m_summary;
    QCheckBox *m_hideEqual;
    QTableView *m_table;
    QLabel *m_detail;
    QPushButton *m_reveal;
    JsonTreeWidget *m_stateA;
    JsonTreeWidget *m_stateB;
    QLabel *m_titleA;
    QLabel *m_titleB;
};

} // namespace es
