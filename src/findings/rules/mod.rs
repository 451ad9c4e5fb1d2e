//! The catalogue: one file per rule.

mod admin_without_mfa;
mod broad_scope_role;
mod collector_overprivileged;
mod coverage_gap;
mod disabled_with_privilege;
mod dormant_admin;
mod nesting_cycle;
mod open_application;
mod orphaned_assignment;
mod overprivileged_worker;
mod privilege_escalation;
mod redundant_assignment;
mod unused_admin_role;

use super::Rule;

/// Every rule, in catalogue order.
pub fn all() -> Vec<Box<dyn Rule>> {
    vec![
        Box::new(open_application::OpenApplication),
        Box::new(disabled_with_privilege::DisabledWithPrivilege),
        Box::new(dormant_admin::DormantAdmin),
        Box::new(admin_without_mfa::AdminWithoutMfa),
        Box::new(redundant_assignment::RedundantAssignment),
        Box::new(overprivileged_worker::OverprivilegedWorker),
        Box::new(nesting_cycle::NestingCycle),
        Box::new(orphaned_assignment::OrphanedAssignment),
        Box::new(collector_overprivileged::CollectorOverprivileged),
        Box::new(unused_admin_role::UnusedAdminRole),
        Box::new(broad_scope_role::BroadScopeRole),
        Box::new(coverage_gap::CoverageGap),
        Box::new(privilege_escalation::PrivilegeEscalation),
    ]
}
