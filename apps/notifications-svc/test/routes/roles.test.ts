import { roles } from '@conveyor/service-kit/claims';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { as, seedNotifications, startApp, type ListBody, type TestApp } from '../helpers/app.js';

let t: TestApp;

beforeAll(async () => {
  t = await startApp();
  for (const role of roles) {
    await seedNotifications(t.deps, `user-${role}`, [
      { title: `for ${role}` },
      { title: `also for ${role}` },
    ]);
  }
});
afterAll(async () => {
  await t.close();
});

describe.each(roles)('a %s', (role) => {
  const user = () => as(t.app, `user-${role}`, role);

  it('reaches its own inbox, and only its own', async () => {
    const list = await user().get('/api/notifications');
    expect(list.statusCode).toBe(200);
    const { data } = list.json<ListBody>();
    expect(data.map((item) => item.title).sort()).toEqual([`also for ${role}`, `for ${role}`]);
    const count = await user().get('/api/notifications/unread-count');
    expect(count.json()).toStrictEqual({ success: true, data: { count: 2 } });
    const [first] = data;
    expect((await user().post(`/api/notifications/${first!.id}/read`)).statusCode).toBe(200);
    expect((await user().post(`/api/notifications/${first!.id}/unread`)).statusCode).toBe(200);
    expect((await user().post('/api/notifications/read-all')).json().data.count).toBe(2);
    expect((await user().delete(`/api/notifications/${first!.id}`)).statusCode).toBe(200);
  });

  it('reads and changes its own preferences', async () => {
    const read = await user().get('/api/notifications/preferences');
    expect(read.statusCode).toBe(200);
    expect(read.json().data.userId).toBe(`user-${role}`);
    const changed = await user().patch('/api/notifications/preferences', {
      digestFrequency: 'WEEKLY',
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.json().data).toMatchObject({
      userId: `user-${role}`,
      digestFrequency: 'WEEKLY',
    });
  });

  it(role === 'ADMIN' ? 'creates notifications' : 'may not create notifications', async () => {
    const response = await user().post('/api/notifications', {
      userId: `user-${role}`,
      type: 'SYSTEM',
      title: 'Self-addressed',
      message: 'Only an ADMIN may send this',
    });
    if (role === 'ADMIN') {
      expect(response.statusCode).toBe(201);
    } else {
      expect(response.statusCode).toBe(403);
      expect(response.json()).toStrictEqual({
        success: false,
        error: 'Forbidden: Admin access required',
      });
    }
  });
});
