#pragma once

#include "eventsearch.h"

#include <QTimer>
#include <QWidget>

class QLineEdit;
class QMenu;
class QToolButton;

namespace es {

// The timeline's filter fields: stream, event types (several), actor,
// correlation, a time range and full text. Typing applies after a short
// pause (or at once on Return); setters apply at once.
class TimelineFilterBar : public QWidget {
    Q_OBJECT
public:
    explicit TimelineFilterBar(QWidget *parent = nullptr);
    ~TimelineFilterBar() override;

    // The filter in force (fields that do not parse, such as a bad time, are left out).
    SearchFilter filter() const { return m_applied; }
    void setFilter(const SearchFilter &filter);
    void setStream(const QString &stream);
    void setCorrelation(const QString &correlationId);
    void setTypes(const QStringList &types);
    void clear();

    // Types offered by the type menu.
    void setKnownTypes(const QStringList &types);
    void addKnownTypes(const QStringList &types);
    QStringList knownTypes() const { return m_knownTypes; }

    QLineEdit *searchEdit() const { return m_search; }

Q_SIGNALS:
    void filterChanged(const es::SearchFilter &filter);

private:
    QLineEdit *addEdit(const QString &objectName, const QString &placeholder, const QString &toolTip);
    void apply();
    SearchFilter fromFields();
    void rebuildTypeMenu();

    QLineEdit *m_stream;
    QLineEdit *m_types;
    QToolButton *m_typeButton;
    QMenu *m_typeMenu;
    QLineEdit *m_actor;
    QLineEdit *m_correlation;
    QLineEdit *m_from;
    QLineEdit *m_to;
    QLineEdit *m_search;
    QToolButton *m_clear;
    QStringList m_knownTypes;
    QTimer m_debounce;
    SearchFilter m_applied;
};

} // namespace es
