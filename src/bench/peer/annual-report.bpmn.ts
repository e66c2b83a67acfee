/**
 * The obligation lifecycle as BPMN 2.0 for the peer benchmark: four user tasks in sequence, one
 * per event dondoc's lifecycle takes (the agency starts and submits, the aggregator aggregates
 * and reports to UBND).
 */
export const ANNUAL_REPORT_BPMN = `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="annualReportDefinitions"
  targetNamespace="http://dondoc.local/bench">
  <process id="annualReport" isExecutable="true">
    <startEvent id="opened" />
    <sequenceFlow id="toStart" sourceRef="opened" targetRef="START_IMPLEMENTATION" />
    <userTask id="START_IMPLEMENTATION" name="Xây dựng kế hoạch, tổ chức thực hiện" />
    <sequenceFlow id="toSubmit" sourceRef="START_IMPLEMENTATION" targetRef="SUBMIT_REPORT" />
    <userTask id="SUBMIT_REPORT" name="Gửi báo cáo" />
    <sequenceFlow id="toAggregate" sourceRef="SUBMIT_REPORT" targetRef="AGGREGATE" />
    <userTask id="AGGREGATE" name="Tổng hợp" />
    <sequenceFlow id="toReport" sourceRef="AGGREGATE" targetRef="REPORT_TO_UBND" />
    <userTask id="REPORT_TO_UBND" name="Báo cáo UBND tỉnh" />
    <sequenceFlow id="toEnd" sourceRef="REPORT_TO_UBND" targetRef="reported" />
    <endEvent id="reported" />
  </process>
</definitions>`;
